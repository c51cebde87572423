-- The daemon locks each chunk's customers with SELECT ... FOR UPDATE, so that no transaction of
-- theirs is inserted or settled elsewhere while the chunk decides and posts. PostgreSQL requires
-- UPDATE privilege on at least one column of a table for any row lock on it, and 0005 granted
-- reimburse_service only SELECT on customer: a login that is only a member of the service role
-- failed every post job with "permission denied for table customer".
--
-- One column is enough. `name` is the one with no bearing on money or selection (it is only
-- copied to one-time vendors when they are created), so the grant adds no power that matters.
GRANT UPDATE (name) ON customer TO reimburse_service;
