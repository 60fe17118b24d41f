import Testing
import UltraDictCore

/// Expects `body` to throw an `UltraDictError` with `code`.
package func expectError<T>(_ code: UltraDictError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) {
    #expect(sourceLocation: sourceLocation) { _ = try body() } throws: { error in
        (error as? UltraDictError)?.code == code
    }
}
