import Foundation
import Testing

@testable import Postgres

@Suite("Value encoding and decoding, without a server")
struct ValueCodingTests {
    @Test func textArraysAreQuotedAndEscaped() {
        let values = ["plain", "with \"quote\"", "back\\slash", "comma,brace}", ""]
        #expect(values.postgresText == #"{"plain","with \"quote\"","back\\slash","comma,brace}",""}"#)
        let withNull: [String?] = ["a", nil]
        #expect(withNull.postgresText == #"{"a",NULL}"#)
        #expect(([] as [String]).postgresText == "{}")
    }

    @Test func arrayLiteralsParseBack() throws {
        #expect(PostgresArrayLiteral.parse("{}") == [])
        #expect(PostgresArrayLiteral.parse("{a,b}") == ["a", "b"])
        #expect(PostgresArrayLiteral.parse(#"{"a b","c\"d",NULL,"NULL"}"#) == ["a b", "c\"d", nil, "NULL"])
        #expect(PostgresArrayLiteral.parse("{{1,2},{3,4}}") == nil)
        #expect(PostgresArrayLiteral.parse("a,b") == nil)
        #expect(try [Int64](postgresText: "{1,-2,9223372036854775807}") == [1, -2, .max])
        #expect(throws: PostgresError.self) { try [Int64](postgresText: "{1,x}") }
    }

    @Test func integersAndBooleansRejectGarbage() throws {
        #expect(try Int64(postgresText: "-42") == -42)
        #expect(throws: PostgresError.self) { try Int64(postgresText: "12abc") }
        #expect(try Bool(postgresText: "t"))
        #expect(throws: PostgresError.self) { try Bool(postgresText: "yes") }
        #expect(throws: PostgresError.self) { try Int.decodeNull() }
        #expect(try String?.decodeNull() == nil)
    }

    @Test func numericAcceptsOnlyPlainDecimals() {
        #expect(PostgresNumeric("123456789012345678.123456")?.text == "123456789012345678.123456")
        #expect(PostgresNumeric("-0.5") != nil)
        for bad in ["", "12abc", "1,5", "1e5", "NaN", "--1", "1.2.3", " 1", "-"] {
            #expect(PostgresNumeric(bad) == nil, "accepted \(bad)")
        }
    }

    @Test func timestampsRoundTripWithOffsets() throws {
        let date = try Date(postgresText: "2026-11-25 17:51:53.123456+00")
        #expect(PostgresTimestampFormat.format(date) == "2026-11-25 17:51:53.123456+00")
        let shifted = try Date(postgresText: "2026-11-25 19:21:53.123456+01:30")
        #expect(abs(shifted.timeIntervalSince(date)) < 0.000_001)
        let negative = try Date(postgresText: "1969-12-31 23:59:59-08")
        #expect(negative.timeIntervalSince1970 == 8 * 3600 - 1)
        #expect(throws: PostgresError.self) { try Date(postgresText: "yesterday") }
    }

    @Test func datesParseAndPrint() throws {
        let date = try PostgresDate(postgresText: "2024-02-29")
        #expect(date == PostgresDate(year: 2024, month: 2, day: 29))
        #expect(date.description == "2024-02-29")
        #expect(throws: PostgresError.self) { try PostgresDate(postgresText: "2024-13-01") }
    }

    @Test func transientErrorsAreRecognised() {
        #expect(PostgresError(kind: .server, sqlState: SQLState.serializationFailure, message: "").isTransient)
        #expect(PostgresError(kind: .server, sqlState: SQLState.deadlockDetected, message: "").isTransient)
        #expect(PostgresError(kind: .server, sqlState: "08006", message: "").isTransient)
        #expect(PostgresError(kind: .connectionLost, message: "").isTransient)
        #expect(PostgresError(kind: .server, sqlState: SQLState.lockNotAvailable, message: "").isTransient)
        #expect(!PostgresError(kind: .server, sqlState: SQLState.uniqueViolation, message: "").isTransient)
        #expect(!PostgresError(kind: .server, sqlState: SQLState.checkViolation, message: "").isTransient)
    }
}
