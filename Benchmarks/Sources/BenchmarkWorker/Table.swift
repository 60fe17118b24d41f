import Foundation

/// The tables that the benchmarks print: one row a line, cells without spaces, so that a row
/// reads well and splits on white space (as `compare-python.sh` splits them).
enum Table {
    /// `cells` as a row: the first left-aligned in 10 columns, the others right-aligned in 12.
    static func row(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == 0 ? cell.padding(toLength: max(10, cell.count), withPad: " ", startingAt: 0)
                : String(repeating: " ", count: max(1, 12 - cell.count)) + cell
        }.joined()
    }
}
