import Foundation
import Testing

/// Every example runs as users run it, and its last line is asserted.
@Suite("Examples")
struct ExamplesTests {
    /// Runs the example `product` and returns its last line, expecting success.
    func lastLine(of product: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try ChildProcess(product, []).finish()
        #expect(result.status == 0, "\(product) failed: \(result.errors)", sourceLocation: sourceLocation)
        return result.lastLine
    }

    @Test func simple() throws {
        #expect(try lastLine(of: "Simple") == "Length: 100000 == 100000 == 100000")
    }
}
