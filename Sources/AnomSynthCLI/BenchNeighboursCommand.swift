import ArgumentParser
import Dispatch
import Foundation
import TensorCore

/// `anomsynth bench knn`: exact nearest neighbours by each search strategy on the same
/// random rows, timed, and checked to be the same neighbours.
struct BenchNeighboursCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knn", abstract: "Time exact k-nearest-neighbour search by scan, k-d tree and blocked products on random rows; check they agree.")

    @Option(help: "Rows searched (each also a query: SMOTE's minority-to-minority search).")
    var rows = 20_000

    @Option(help: "Columns.")
    var width = 20

    @Option(help: "Neighbours per row.")
    var k = 5

    @Option(help: "Threads.")
    var threads = 1

    @Option(help: "Skip the scan when it would take longer than this many pair distances (it is timed on a sample of the queries instead).")
    var scanLimit = 400_000_000

    @Flag(help: "One JSON object instead of text.")
    var json = false

    func validate() throws {
        guard rows >= 2, width >= 1, k >= 1, threads >= 1 else { throw ValidationError("--rows >= 2, --width, --k and --threads >= 1") }
    }

    func run() throws {
        Parallelism.threads = threads
        var rng = SeededRNG(seed: 5)
        // Clustered rows with some duplicates, like real data: ties must be broken alike.
        let centres = (0..<16).map { _ in (0..<width).map { _ in 3 * rng.normal() } }
        var values: [Float] = []
        values.reserveCapacity(rows * width)
        for r in 0..<rows {
            let centre = centres[r % centres.count]
            if r % 50 == 49 { values += values[((r - 1) * width)..<(r * width)]; continue }
            values += centre.map { $0 + rng.normal() }
        }
        let points = try Tensor(shape: [rows, width], scalars: values)
        func timed(_ strategy: NearestNeighbors.Strategy, queries: Tensor) throws -> (seconds: Double, lists: [[Int]]) {
            let start = DispatchTime.now().uptimeNanoseconds
            let lists = try NearestNeighbors.search(queries, in: points, k: k, excludeSelf: queries.rows == points.rows, strategy: strategy)
            return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, lists)
        }
        let blocked = try timed(.blocked, queries: points)
        let tree = try timed(.tree, queries: points)
        // The scan on every query, or on a sample of them scaled up (it is quadratic).
        let sample = rows * rows <= scanLimit ? rows : max(1, scanLimit / rows)
        let sampleQueries = sample == rows ? points : try points.gatherRows(Array(0..<sample))
        let scanStart = DispatchTime.now().uptimeNanoseconds
        let scan = try NearestNeighbors.search(sampleQueries, in: points, k: k + (sample == rows ? 0 : 1), excludeSelf: sample == rows, strategy: .scan)
        let scanSeconds = Double(DispatchTime.now().uptimeNanoseconds - scanStart) / 1e9 * Double(rows) / Double(sample)
        let expected = sample == rows ? scan : scan.enumerated().map { q, list in Array(list.filter { $0 != q }.prefix(k)) }
        let agree = Array(blocked.lists.prefix(sample)) == expected && Array(tree.lists.prefix(sample)) == expected && blocked.lists == tree.lists
        let result: [String: Double] = ["rows": Double(rows), "width": Double(width), "k": Double(k), "threads": Double(threads),
                                        "scan_seconds": scanSeconds, "tree_seconds": tree.seconds, "blocked_seconds": blocked.seconds,
                                        "blocked_vs_scan": scanSeconds / blocked.seconds, "same_neighbours": agree ? 1 : 0]
        print(json ? jsonLine(result) : String(format: "%d rows x %d, k %d, %d thread(s): scan %.2f s%@, k-d tree %.2f s, blocked %.2f s (%.1fx the scan); same neighbours: %@",
                                               rows, width, k, threads, scanSeconds, sample == rows ? "" : " (from \(sample) queries)", tree.seconds,
                                               blocked.seconds, scanSeconds / blocked.seconds, agree ? "yes" : "NO"))
        if !agree { throw ExitCode(1) }
    }
}
