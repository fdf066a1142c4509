/// What a scheduler gives one stage of a type (`resources` in a pipeline; used by
/// `run --executor slurm`): cores, memory and a time limit.
public struct StageResources: Equatable, Sendable {
    public var cpus: Int
    /// Slurm's form, e.g. `4G`, `500M`; nil: the partition's default.
    public var memory: String?
    /// Slurm's form, e.g. `30`, `1:00:00`, `2-00:00:00`; nil: the partition's default.
    public var time: String?

    /// One core; memory and time left to the partition.
    public init(cpus: Int = 1, memory: String? = nil, time: String? = nil) {
        self.cpus = cpus
        self.memory = memory
        self.time = time
    }

    /// The `resources` block's parameters (per stage type).
    static let specs = [
        ParameterSpec("cpus", .integer(minimum: 1, maximum: 1024), default: .number(1), "Cores per job (Slurm --cpus-per-task)."),
        ParameterSpec("memory", .string, "Memory per job in Slurm's form, e.g. 4G (--mem); default: the partition's."),
        ParameterSpec("time", .string, "Time limit in Slurm's form, e.g. 30 or 1:00:00 (--time); default: run --time, else the partition's."),
    ]

    static let memoryPattern = "^[0-9]+[KMGT]?$"
    static let timePattern = "^([0-9]+-)?[0-9]+(:[0-9]{2}){0,2}$"
}

extension Validator {
    /// Checks the top-level `resources` block: stage types to `StageResources`.
    mutating func checkResources(_ document: JSONValue) -> [String: StageResources] {
        guard let block = document["resources"] else { return [:] }
        guard let types = block.objectValue else {
            report("$.resources", "expected an object of stage types to {cpus, memory, time}, got \(block.typeDescription)")
            return [:]
        }
        checkKeys(types, allowed: StageRegistry.allTypes, at: "$.resources", what: "stage type")
        var result: [String: StageResources] = [:]
        for (type, value) in types where StageRegistry.implemented[type] != nil {
            let path = JSONPath.appending(type, to: "$.resources")
            let params = checkParameters(value, specs: StageResources.specs, at: path)
            var resources = StageResources(cpus: params["cpus"]?.integerValue ?? 1)
            for (key, pattern, example) in [("memory", StageResources.memoryPattern, "4G"), ("time", StageResources.timePattern, "1:00:00")] {
                guard let text = params[key]?.stringValue else { continue }
                guard text.range(of: pattern, options: .regularExpression) != nil else {
                    report(JSONPath.appending(key, to: path), "expected Slurm's form, e.g. \(example), got \"\(text)\"")
                    continue
                }
                if key == "memory" { resources.memory = text } else { resources.time = text }
            }
            result[type] = resources
        }
        return result
    }
}
