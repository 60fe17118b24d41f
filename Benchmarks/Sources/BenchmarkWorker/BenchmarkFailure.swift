/// A benchmark that could not run as asked: a bad argument, a worker process that failed, a
/// measurement whose precondition did not hold.
struct BenchmarkFailure: Error, CustomStringConvertible {
    /// What went wrong.
    let description: String

    /// A failure described by `description`.
    init(_ description: String) { self.description = description }
}
