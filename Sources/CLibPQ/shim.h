#ifndef REIMBURSE_CLIBPQ_SHIM_H
#define REIMBURSE_CLIBPQ_SHIM_H

// Debian keeps the header in a postgresql/ subfolder; pkg-config adds that folder to the
// include path, and without pkg-config the fallback still finds it.
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif

#endif
