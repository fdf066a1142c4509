import ArchiveIO
import Foundation

/// Reads, overrides and validates pipeline files, reporting every problem at once.
public enum PipelineLoader {
    static let topLevelKeys = ["$schema", "name", "description", "seed", "archive_compression", "stages", "matrix", "resources"]
    static let stageKeys = ["id", "type", "description", "inputs", "params"]

    /// Loads a pipeline file.
    /// - Parameter overrides: `STAGE.params.KEY=VALUE` (dotted keys for nested params); the
    ///   value is JSON when it parses, else a string.
    /// - Throws: `PipelineInvalid` with every problem, each at its JSON path (and line:column).
    public static func load(_ file: String, overrides: [String] = []) throws -> Pipeline {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw PipelineInvalid(issues: [PipelineIssue(file: file, path: "$", line: nil, column: nil, message: "cannot read the file")])
        }
        return try load([UInt8](data), file: file, overrides: overrides)
    }

    /// Loads a pipeline from the bytes of `file` (paths in it are relative to its folder).
    public static func load(_ data: [UInt8], file: String, overrides: [String] = []) throws -> Pipeline {
        let parsed: (value: JSONValue, positions: [String: (line: Int, column: Int)])
        do {
            parsed = try JSONParser.parse(data, source: file)
        } catch let error as JSONSyntaxError {
            throw PipelineInvalid(issues: [PipelineIssue(file: file, path: "$", line: error.line, column: error.column,
                                                         message: "invalid JSON: \(error.message)")])
        }
        var validator = Validator(file: file, positions: parsed.positions,
                                  directory: URL(fileURLWithPath: file).deletingLastPathComponent())
        let document = validator.applyOverrides(overrides, to: parsed.value)
        let resources = validator.checkResources(document)
        let compression = validator.checkArchiveCompression(document)
        let variants = validator.expandMatrix(document)
        var pipelines: [(assignments: [MatrixAssignment], pipeline: Pipeline)] = []
        for (assignments, expanded) in variants {
            var each = validator
            each.clearIssues()
            if let pipeline = each.validate(expanded) { pipelines.append((assignments, pipeline)) }
            for issue in each.issues where !validator.issues.contains(issue) { validator.append(issue) }
        }
        guard validator.issues.isEmpty, let first = pipelines.first?.pipeline else { throw PipelineInvalid(issues: validator.sortedIssues) }
        var pipeline = variants.count == 1 && variants[0].assignments.isEmpty ? first : Matrix.merge(pipelines)
        pipeline.resources = resources
        pipeline.archiveCompression = compression
        return pipeline
    }
}

/// Collects the problems of one pipeline document.
struct Validator {
    let file: String
    let positions: [String: (line: Int, column: Int)]
    let directory: URL
    private(set) var issues: [PipelineIssue] = []

    init(file: String, positions: [String: (line: Int, column: Int)], directory: URL) {
        self.file = file
        self.positions = positions
        self.directory = directory
    }

    var sortedIssues: [PipelineIssue] {
        issues.enumerated().sorted { ($0.element.line ?? .max, $0.offset) < ($1.element.line ?? .max, $1.offset) }.map(\.element)
    }

    mutating func clearIssues() { issues = [] }
    mutating func append(_ issue: PipelineIssue) { issues.append(issue) }

    mutating func report(_ path: String, _ message: String) {
        let place = positions[path]
        issues.append(PipelineIssue(file: file, path: path, line: place?.line, column: place?.column, message: message))
    }

    /// Applies `--set STAGE.params.KEY=VALUE` and `--set seed=N` overrides. On a matrix axis
    /// the override replaces the axis: a value makes it that one value, an array that list
    /// (`--set gen.params.model='["smote","vae"]'` narrows the matrix to two models).
    mutating func applyOverrides(_ overrides: [String], to document: JSONValue) -> JSONValue {
        var document = document
        for override in overrides {
            guard let equals = override.firstIndex(of: "=") else {
                report("--set \(override)", "expected STAGE.params.KEY=VALUE or seed=N")
                continue
            }
            let keys = override[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let value = JSONValue.fromCommandLine(String(override[override.index(after: equals)...]))
            let axis = String(override[..<equals])
            if document["matrix"]?[axis] != nil {
                document = document.setting(["matrix", axis], to: value.arrayValue.map(JSONValue.array) ?? .array([value]))
                continue
            }
            if keys == ["seed"] {
                document = document.setting(["seed"], to: value)
                continue
            }
            guard keys.count >= 3, keys[1] == "params", !keys.contains("") else {
                report("--set \(override)", "expected STAGE.params.KEY=VALUE (dotted keys for nested parameters) or seed=N")
                continue
            }
            guard var stages = document["stages"]?.arrayValue,
                  let index = stages.firstIndex(where: { $0["id"]?.stringValue == keys[0] }) else {
                report("--set \(override)", "no stage with id '\(keys[0])'")
                continue
            }
            stages[index] = stages[index].setting(Array(keys[1...]), to: value)
            document = document.setting(["stages"], to: .array(stages))
        }
        return document
    }

    /// The documents a `matrix` expands to, each with its variant name (`scale=minmax,seed=2`);
    /// one unnamed document without a matrix.
    /// Variants one matrix may make: a few thousand stages are a big experiment already.
    static let maximumVariants = 1_000

    mutating func expandMatrix(_ document: JSONValue) -> [(assignments: [MatrixAssignment], document: JSONValue)] {
        guard let matrix = document["matrix"] else { return [([], document)] }
        guard let axes = matrix.objectValue, !axes.isEmpty else {
            report("$.matrix", "expected an object of 'STAGE.params.KEY' or 'seed' to arrays of values, got \(matrix.typeDescription)")
            return [([], document)]
        }
        var combinations: [(name: [MatrixAssignment], document: JSONValue)] = [([], document.setting(["matrix"], to: .null))]
        for (key, values) in axes {
            let path = JSONPath.appending(key, to: "$.matrix")
            guard let list = values.arrayValue, !list.isEmpty else {
                report(path, "expected a non-empty array of values, got \(values.typeDescription)")
                continue
            }
            let parts = key.split(separator: ".").map(String.init)
            let isSeed = key == "seed"
            guard isSeed || (parts.count >= 3 && parts[1] == "params") else {
                report(path, "expected 'seed' or 'STAGE.params.KEY' (dotted keys for nested parameters)")
                continue
            }
            guard isSeed || (document["stages"]?.arrayValue ?? []).contains(where: { $0["id"]?.stringValue == parts[0] }) else {
                report(path, "no stage with id '\(parts[0])'")
                continue
            }
            let label = isSeed ? "seed" : parts[parts.count - 1]
            guard combinations.count * list.count <= Self.maximumVariants else {
                report(path, "the matrix makes more than \(Self.maximumVariants) variants (\(combinations.count) x \(list.count) here); split the experiment into several pipelines")
                return [([], document)]
            }
            combinations = combinations.flatMap { combination in
                list.map { value -> (name: [MatrixAssignment], document: JSONValue) in
                    let text = value.stringValue ?? value.canonical
                    let assignment = MatrixAssignment(key: label, value: text)
                    guard !isSeed else { return (combination.name + [assignment], combination.document.setting(["seed"], to: value)) }
                    var stages = combination.document["stages"]?.arrayValue ?? []
                    if let index = stages.firstIndex(where: { $0["id"]?.stringValue == parts[0] }) {
                        stages[index] = stages[index].setting(Array(parts[1...]), to: value)
                    }
                    return (combination.name + [assignment], combination.document.setting(["stages"], to: .array(stages)))
                }
            }
        }
        return combinations.map { ($0.name, removingMatrix($0.document)) }
    }

    private func removingMatrix(_ document: JSONValue) -> JSONValue {
        .object((document.objectValue ?? []).filter { $0.key != "matrix" && $0.key != "resources" })
    }

    mutating func checkKeys(_ object: [(key: String, value: JSONValue)], allowed: [String], at path: String, what: String) {
        for (key, _) in object where !allowed.contains(key) {
            let hint = closest(to: key, in: allowed).map { "; did you mean '\($0)'?" } ?? "; expected one of \(allowed.joined(separator: ", "))"
            report(JSONPath.appending(key, to: path), "unknown \(what) '\(JSONPath.shortened(key))'\(hint)")
        }
    }

    /// The top-level `archive_compression` (default zstd).
    mutating func checkArchiveCompression(_ document: JSONValue) -> ArchiveCompression {
        guard let value = document["archive_compression"] else { return .zstd }
        guard let text = value.stringValue, let compression = ArchiveCompression(rawValue: text) else {
            let names = ArchiveCompression.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            report("$.archive_compression", "expected one of \(names), got \(value.canonical)")
            return .zstd
        }
        return compression
    }

    mutating func validate(_ document: JSONValue) -> Pipeline? {
        guard let top = document.objectValue else {
            report("$", "expected an object with name, seed and stages, got \(document.typeDescription)")
            return nil
        }
        checkKeys(top, allowed: PipelineLoader.topLevelKeys, at: "$", what: "key")
        let name = document["name"]?.stringValue ?? ""
        if document["name"] == nil {
            report("$", "missing 'name' (a string naming the pipeline; outputs go to runs/<name>/)")
        } else if name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) || name.hasPrefix(".") {
            report("$.name", "expected a name of letters, digits, '-', '_' or '.', got \(document["name"]!.canonical)")
        }
        var seed: UInt64 = 0
        if let value = document["seed"] {
            if let integer = value.integerValue, integer >= 0 { seed = UInt64(integer) } else {
                report("$.seed", "expected an integer >= 0, got \(value.canonical)")
            }
        }
        guard let stageValues = document["stages"]?.arrayValue, !stageValues.isEmpty else {
            report(document["stages"] == nil ? "$" : "$.stages", document["stages"] == nil ? "missing 'stages' (an array of stages)" : "expected a non-empty array of stages")
            return nil
        }
        // First pass: ids and types, so that inputs can be checked against every stage.
        var types: [String: any StageImplementation.Type] = [:]  // by id (the first stage of a duplicate id)
        var typeAt: [Int: any StageImplementation.Type] = [:]  // by position, so that every stage's params get checked
        var seen = Set<String>()
        for (index, stage) in stageValues.enumerated() {
            let path = "$.stages[\(index)]"
            guard let object = stage.objectValue else {
                report(path, "expected a stage object, got \(stage.typeDescription)")
                continue
            }
            checkKeys(object, allowed: PipelineLoader.stageKeys, at: path, what: "stage key")
            guard let id = stage["id"]?.stringValue, !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || "-_".contains($0) }) else {
                report(stage["id"] == nil ? path : "\(path).id", "expected an 'id' of letters, digits, '-' or '_'")
                continue
            }
            if !seen.insert(id).inserted { report("\(path).id", "duplicate stage id '\(id)'") }
            guard let type = stage["type"]?.stringValue else {
                report(path, "missing 'type'; expected one of \(StageRegistry.allTypes.joined(separator: ", "))")
                continue
            }
            if let implementation = StageRegistry.implemented[type] {
                if types[id] == nil { types[id] = implementation }
                typeAt[index] = implementation
            } else {
                let hint = closest(to: type, in: StageRegistry.allTypes).map { "; did you mean '\($0)'?" } ?? ""
                report("\(path).type", "unknown stage type '\(type)'\(hint); expected one of \(StageRegistry.allTypes.joined(separator: ", "))")
            }
        }
        var stages: [Pipeline.Stage] = []
        for (index, stage) in stageValues.enumerated() {
            guard let id = stage["id"]?.stringValue, let implementation = typeAt[index] else { continue }
            let path = "$.stages[\(index)]"
            let params = checkParameters(stage["params"] ?? .object([]), specs: implementation.parameters, at: "\(path).params")
            let inputs = checkInputs(stage["inputs"] ?? .object([]), of: implementation, at: "\(path).inputs", types: types)
            let stageSeed = params["seed"]?.integerValue.map(UInt64.init) ?? Pipeline.derivedSeed(seed, id)
            stages.append(Pipeline.Stage(id: id, implementation: implementation, params: params, inputs: inputs, seed: stageSeed))
        }
        checkAcrossParameters(stages, stageValues: stageValues)
        let pipeline = Pipeline(file: file, directory: directory, name: name, seed: seed, stages: stages)
        reportCycles(pipeline, stageValues: stageValues)
        return issues.isEmpty ? pipeline : nil
    }

    /// Each stage type's rules across its parameters and the stages it reads.
    mutating func checkAcrossParameters(_ stages: [Pipeline.Stage], stageValues: [JSONValue]) {
        let byID = Dictionary(stages.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for stage in stages {
            guard let index = stageValues.firstIndex(where: { $0["id"]?.stringValue == stage.id }) else { continue }
            let upstream = stage.inputs.mapValues { references in
                references.compactMap { byID[$0.stage] }.map { UpstreamStage(type: $0.implementation.type, params: $0.params) }
            }
            let params = "$.stages[\(index)].params"
            for problem in stage.implementation.check(stage.params, upstream: upstream) {
                let at = problem.parameter.map { JSONPath.appending($0, to: params) }
                report(at.flatMap { positions[$0] == nil ? nil : $0 } ?? params, problem.message)
            }
        }
    }

    /// Checks parameters against their specs and fills in defaults.
    mutating func checkParameters(_ value: JSONValue, specs: [ParameterSpec], at path: String) -> JSONValue {
        guard let object = value.objectValue else {
            report(path, "expected an object of parameters, got \(value.typeDescription)")
            return .object([])
        }
        checkKeys(object, allowed: specs.map(\.name), at: path, what: "parameter")
        var result: [(key: String, value: JSONValue)] = []
        for spec in specs {
            let here = JSONPath.appending(spec.name, to: path)
            guard let given = value[spec.name] else {
                if spec.required { report(path, "missing required parameter '\(spec.name)': \(spec.description)") }
                if let fallback = spec.defaultValue {
                    result.append((spec.name, checkValue(fallback, kind: spec.kind, at: here, reportErrors: false)))
                }
                continue
            }
            result.append((spec.name, checkValue(given, kind: spec.kind, at: here, reportErrors: true)))
        }
        return .object(result)
    }

    mutating func checkValue(_ value: JSONValue, kind: ParameterKind, at path: String, reportErrors: Bool) -> JSONValue {
        func fail(_ message: String) -> JSONValue {
            if reportErrors { report(path, message) }
            return value
        }
        switch kind {
        case .integer(let low, let high):
            guard let integer = value.integerValue else { return fail("expected an integer, got \(value.canonical)") }
            if let low, integer < low { return fail("expected an integer >= \(low), got \(integer)") }
            if let high, integer > high { return fail("expected an integer <= \(high), got \(integer)") }
        case .number(let low, let high, let exclusive):
            guard let number = value.numberValue else { return fail("expected a number, got \(value.canonical)") }
            let range = [low.map { exclusive ? "> \($0)" : ">= \($0)" }, high.map { exclusive ? "< \($0)" : "<= \($0)" }].compactMap { $0 }.joined(separator: " and ")
            if let low, exclusive ? number <= low : number < low { return fail("expected a number \(range), got \(value.canonical)") }
            if let high, exclusive ? number >= high : number > high { return fail("expected a number \(range), got \(value.canonical)") }
        case .string:
            guard value.stringValue != nil else { return fail("expected a string, got \(value.canonical)") }
        case .boolean:
            guard value.boolValue != nil else { return fail("expected true or false, got \(value.canonical)") }
        case .choice(let options):
            guard let text = value.stringValue, options.contains(text) else {
                let hint = value.stringValue.flatMap { closest(to: $0, in: options) }.map { "; did you mean '\($0)'?" } ?? ""
                return fail("expected one of \(options.map { "'\($0)'" }.joined(separator: ", ")), got \(value.canonical)\(hint)")
            }
        case .path:
            guard let text = value.stringValue else { return fail("expected a file path (a string), got \(value.canonical)") }
            let resolved = URL(fileURLWithPath: text, relativeTo: directory).standardizedFileURL.path
            if !FileManager.default.fileExists(atPath: resolved) {
                return fail("file '\(text)' does not exist (looked for \(resolved); paths are relative to the pipeline file)")
            }
        case .strings:
            // One value stands for a list of one (`"positive": "yes"`); numbers are their text
            // (`--set raw.params.label.positive=1`). Normalized, so all spellings share a cache key.
            func text(_ item: JSONValue) -> JSONValue? {
                if case .number = item { return .string(item.canonical) }
                return item.stringValue.map(JSONValue.string)
            }
            guard let items = value.arrayValue ?? (text(value) != nil ? [value] : nil), items.allSatisfy({ text($0) != nil }) else {
                return fail("expected a string or an array of strings, got \(value.canonical)")
            }
            return .array(items.compactMap(text))
        case .object(let specs):
            return checkParameters(value, specs: specs, at: path)
        case .objects(let specs):
            guard let items = value.arrayValue else { return fail("expected an array of objects, got \(value.canonical)") }
            return .array(items.enumerated().map { index, item in
                reportErrors ? checkParameters(item, specs: specs, at: "\(path)[\(index)]") : item
            })
        }
        return value
    }

    mutating func checkInputs(_ value: JSONValue, of implementation: any StageImplementation.Type, at path: String,
                              types: [String: any StageImplementation.Type]) -> [String: [Pipeline.Reference]] {
        guard let object = value.objectValue else {
            report(path, "expected an object of inputs, got \(value.typeDescription)")
            return [:]
        }
        checkKeys(object, allowed: implementation.inputs.map(\.name), at: path, what: "input")
        var result: [String: [Pipeline.Reference]] = [:]
        for spec in implementation.inputs {
            let here = JSONPath.appending(spec.name, to: path)
            guard let given = value[spec.name] else {
                if spec.required { report(path, "missing required input '\(spec.name)': \(spec.description)") }
                continue
            }
            let items: [(JSONValue, String)]
            if spec.many, let array = given.arrayValue {
                items = array.enumerated().map { ($1, "\(here)[\($0)]") }
            } else if !spec.many || given.stringValue != nil {
                items = [(given, here)]
            } else {
                report(here, "expected a stage reference or an array of them, got \(given.typeDescription)")
                continue
            }
            var references: [Pipeline.Reference] = []
            for (item, itemPath) in items {
                guard let text = item.stringValue else {
                    report(itemPath, "expected a stage reference 'id' or 'id.output', got \(item.canonical)")
                    continue
                }
                let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
                guard let target = types[parts[0]] else {
                    let hint = closest(to: parts[0], in: types.keys.sorted()).map { "; did you mean '\($0)'?" } ?? ""
                    report(itemPath, "input '\(text)' names no stage\(hint)")
                    continue
                }
                let output = parts.count > 1 ? parts[1] : target.outputs[0].name
                guard target.outputs.contains(where: { $0.name == output }) else {
                    report(itemPath, "stage '\(parts[0])' (\(target.type)) has no output '\(output)'; it has \(target.outputs.map(\.name).joined(separator: ", "))")
                    continue
                }
                references.append(Pipeline.Reference(stage: parts[0], output: output))
            }
            result[spec.name] = references
        }
        return result
    }

    mutating func reportCycles(_ pipeline: Pipeline, stageValues: [JSONValue]) {
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        var reported = false
        func visit(_ id: String) {
            guard !reported else { return }
            if state[id] == 2 { return }
            if state[id] == 1 {
                let cycle = stack[(stack.firstIndex(of: id) ?? 0)...] + [id]
                let index = stageValues.firstIndex { $0["id"]?.stringValue == id } ?? 0
                report("$.stages[\(index)].inputs", "cycle: \(cycle.joined(separator: " -> "))")
                reported = true
                return
            }
            state[id] = 1
            stack.append(id)
            pipeline.stage(id)?.dependencies.forEach(visit)
            stack.removeLast()
            state[id] = 2
        }
        pipeline.stages.map(\.id).forEach(visit)
    }
}
