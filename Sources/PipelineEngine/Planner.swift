import Foundation

/// What `run` would do, stage by stage, and why.
public enum Planner {
    public struct Step {
        public let id: String
        /// `cached`, or `run`.
        public let action: String
        /// The key, when it can be known before running (every input cached).
        public let key: String?
        public let reason: String
    }

    /// Plans a run against a cache and the previous run's record in `outputRoot`.
    public static func plan(_ pipeline: Pipeline, cacheRoot: URL, outputRoot: URL, force: Set<String> = []) -> [Step] {
        let cache = StageCache(root: cacheRoot)
        let lastRun = previousMaterials(outputRoot.appendingPathComponent("\(pipeline.name)/.last-run.json"))
        var records: [String: StageCache.Record] = [:]
        var steps: [Step] = []
        for id in pipeline.order {
            let stage = pipeline.stage(id)!
            let pending = stage.dependencies.filter { records[$0] == nil }
            guard pending.isEmpty else {
                steps.append(Step(id: id, action: "run", key: nil, reason: "input stage \(pending.count > 3 ? pending.prefix(3).joined(separator: ", ") + " and \(pending.count - 3) more" : pending.joined(separator: ", ")) will run first"))
                continue
            }
            guard let material = try? CacheKey.material(stage, of: pipeline, digest: { reference in
                records[reference.stage].flatMap { record in record.outputs[reference.output].flatMap { record.files[$0]?.sha256 } }
            }) else {
                steps.append(Step(id: id, action: "run", key: nil, reason: "an input file cannot be read"))
                continue
            }
            let key = CacheKey.key(material)
            if !force.contains(id), let record = cache.lookup(key) {
                records[id] = record
                steps.append(Step(id: id, action: "cached", key: key, reason: "same key as a cached result"))
                continue
            }
            let reason: String
            if force.contains(id) {
                reason = "forced"
            } else if let previous = lastRun[id] {
                let changes = differences(previous, material)
                reason = changes.isEmpty ? "no cached result (evicted or never finished)" : "changed: " + changes.joined(separator: "; ")
            } else {
                reason = "never ran"
            }
            steps.append(Step(id: id, action: "run", key: key, reason: reason))
        }
        return steps
    }

    /// Each stage's cost for a plan (`CostEstimate`): cached stages are done and their archives
    /// say what they hold; a source not yet ingested is read to learn its shape.
    public static func estimates(_ pipeline: Pipeline, steps: [Step], cacheRoot: URL) -> [String: StageEstimate] {
        let cache = StageCache(root: cacheRoot)
        let cached = Dictionary(steps.compactMap { step in step.action == "cached" ? step.key.map { (step.id, $0) } : nil },
                                uniquingKeysWith: { first, _ in first })
        return CostEstimate.estimate(pipeline, finished: { id in cached[id].flatMap { cache.lookup($0) }.map(cache.files) },
                                     shapes: ArchiveShapes(), readSources: true)
    }

    private static func previousMaterials(_ file: URL) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: file.path),
              let entries = try? JSONDecoder().decode([String: [String: String]].self, from: data) else { return [:] }
        return entries.compactMapValues { $0["key_material"] }
    }

    /// The fields that differ between two key materials, e.g. `params.split.test_fraction 0.3 -> 0.2`.
    static func differences(_ old: String, _ new: String) -> [String] {
        guard let before = try? JSONParser.parse(Array(old.utf8), source: "").value,
              let after = try? JSONParser.parse(Array(new.utf8), source: "").value else { return [] }
        var changes: [String] = []
        func walk(_ a: JSONValue?, _ b: JSONValue?, _ path: String) {
            if case .object(let left)? = a, case .object(let right)? = b {
                let keys = Set(left.map(\.key)).union(right.map(\.key)).sorted()
                for key in keys { walk(a?[key], b?[key], path.isEmpty ? key : "\(path).\(key)") }
                return
            }
            guard a != b else { return }
            let describe = { (value: JSONValue?) in value.map { $0.canonical.count > 20 ? String($0.canonical.prefix(12)) + "…" : $0.canonical } ?? "unset" }
            let label = path.hasPrefix("inputs.") ? "input \(path.dropFirst(7)) (upstream output changed)"
                : path.hasPrefix("files.") ? "file \(path.dropFirst(6)) (content changed)"
                : "\(path) \(describe(a)) -> \(describe(b))"
            changes.append(label)
        }
        walk(before, after, "")
        return changes
    }
}
