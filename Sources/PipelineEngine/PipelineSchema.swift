import ArchiveIO
/// `schemas/pipeline.schema.json` (JSON Schema 2020-12), generated from the stage
/// definitions so that the schema, `validate` and docs/stages.md cannot drift apart.
public enum PipelineSchema {
    static let idPattern = "^[A-Za-z0-9_-]+$"
    static let referencePattern = "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)?$"

    /// The schema document.
    public static var document: JSONValue {
        let stageTypes = StageRegistry.implemented.keys.sorted()
        return .object([
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string("pipeline.schema.json")),
            ("title", .string("AnomSynth pipeline")),
            ("description", .string("A declarative AnomSynth experiment: stages that ingest, preprocess, synthesize, augment, train and evaluate.")),
            ("type", .string("object")),
            ("required", .array([.string("name"), .string("stages")])),
            ("additionalProperties", .bool(false)),
            ("properties", .object([
                ("$schema", .object([("type", .string("string")), ("description", .string("This schema, for editors."))])),
                ("name", .object([("type", .string("string")), ("pattern", .string("^[A-Za-z0-9_-][A-Za-z0-9._-]*$")),
                                  ("description", .string("The pipeline's name; outputs go to runs/<name>/."))])),
                ("description", .object([("type", .string("string")), ("description", .string("Free text."))])),
                ("seed", .object([("type", .string("integer")), ("minimum", .number(0)), ("default", .number(0)),
                                  ("description", .string("The pipeline seed; each stage derives its own from it and its id."))])),
                ("archive_compression", .object([("enum", .array(ArchiveCompression.allCases.map { .string($0.rawValue) })), ("default", .string("zstd")),
                                                 ("description", .string("How the stages' dataset archives are compressed (file names follow: .tar.zst, .tar.gz, .tar.xz, .tar). gzip opens with Python's own tarfile."))])),
                ("matrix", .object([
                    ("type", .string("object")), ("minProperties", .number(1)),
                    ("propertyNames", .object([("pattern", .string("^(seed|[A-Za-z0-9_-]+\\.params(\\.[A-Za-z0-9_]+)+)$"))])),
                    ("additionalProperties", .object([("type", .string("array")), ("minItems", .number(1))])),
                    ("description", .string("Variants: each key ('seed' or 'STAGE.params.KEY') takes every value of its array; the pipeline runs once per combination, sharing the stages that do not change (stage ids become id@key=value)."))])),
                ("resources", .object([
                    ("type", .string("object")), ("additionalProperties", .bool(false)),
                    ("properties", .object(stageTypes.map { ($0, objectSchema(StageResources.specs)) })),
                    ("description", .string("Per stage type, what each of its jobs gets from a scheduler (run --executor slurm): cpus, memory, time."))])),
                ("stages", .object([("type", .string("array")), ("minItems", .number(1)),
                                    ("items", .object([("anyOf", .array(stageTypes.map { .object([("$ref", .string("#/$defs/\($0)"))]) }))])),
                                    ("description", .string("The stages, in any order; inputs define the order of execution."))])),
            ])),
            ("$defs", .object(stageTypes.map { ($0, stageSchema(StageRegistry.implemented[$0]!)) })),
        ])
    }

    static func stageSchema(_ stage: any StageImplementation.Type) -> JSONValue {
        let reference: JSONValue = .object([("type", .string("string")), ("pattern", .string(referencePattern))])
        let inputs = stage.inputs.map { input -> (key: String, value: JSONValue) in
            let one: [(key: String, value: JSONValue)] = [("type", .string("string")), ("pattern", .string(referencePattern))]
            let value: JSONValue = input.many
                ? .object([("oneOf", .array([reference, .object([("type", .string("array")), ("items", reference)])]))])
                : .object(one)
            return (input.name, value.adding("description", .string(input.description + " A stage id, or id.output.")))
        }
        var properties: [(key: String, value: JSONValue)] = [
            ("id", .object([("type", .string("string")), ("pattern", .string(idPattern)), ("description", .string("Unique stage id."))])),
            ("type", .object([("const", .string(stage.type)), ("description", .string(stage.summary))])),
            ("description", .object([("type", .string("string"))])),
            ("params", objectSchema(stage.parameters)),
        ]
        var required: [JSONValue] = [.string("id"), .string("type")]
        if !stage.inputs.isEmpty {
            properties.insert(("inputs", .object([
                ("type", .string("object")), ("additionalProperties", .bool(false)),
                ("required", .array(stage.inputs.filter(\.required).map { .string($0.name) })),
                ("properties", .object(inputs)),
            ])), at: 3)
            if stage.inputs.contains(where: \.required) { required.append(.string("inputs")) }
        }
        if stage.parameters.contains(where: \.required) { required.append(.string("params")) }
        return .object([
            ("type", .string("object")), ("description", .string(stage.summary)),
            ("required", .array(required)), ("additionalProperties", .bool(false)), ("properties", .object(properties)),
        ])
    }

    static func objectSchema(_ specs: [ParameterSpec]) -> JSONValue {
        .object([
            ("type", .string("object")), ("additionalProperties", .bool(false)),
            ("required", .array(specs.filter(\.required).map { .string($0.name) })),
            ("properties", .object(specs.map { ($0.name, parameterSchema($0)) })),
        ])
    }

    static func parameterSchema(_ spec: ParameterSpec) -> JSONValue {
        var schema: JSONValue
        switch spec.kind {
        case .integer(let low, let high):
            schema = .object([("type", .string("integer"))])
            if let low { schema = schema.adding("minimum", .number(Double(low))) }
            if let high { schema = schema.adding("maximum", .number(Double(high))) }
        case .number(let low, let high, let exclusive):
            schema = .object([("type", .string("number"))])
            if let low { schema = schema.adding(exclusive ? "exclusiveMinimum" : "minimum", .number(low)) }
            if let high { schema = schema.adding(exclusive ? "exclusiveMaximum" : "maximum", .number(high)) }
        case .string: schema = .object([("type", .string("string"))])
        case .boolean: schema = .object([("type", .string("boolean"))])
        case .choice(let options): schema = .object([("type", .string("string")), ("enum", .array(options.map(JSONValue.string)))])
        case .path: schema = .object([("type", .string("string")), ("minLength", .number(1))])
        case .strings:
            let item = JSONValue.object([("type", .array([.string("string"), .string("number")]))])
            schema = .object([("anyOf", .array([item, .object([("type", .string("array")), ("items", item)])]))])
        case .object(let specs): schema = objectSchema(specs)
        case .objects(let specs): schema = .object([("type", .string("array")), ("items", objectSchema(specs))])
        }
        schema = schema.adding("description", .string(spec.description))
        if let fallback = spec.defaultValue { schema = schema.adding("default", fallback) }
        return schema
    }
}

extension JSONValue {
    /// This object with one more key.
    func adding(_ key: String, _ value: JSONValue) -> JSONValue {
        .object((objectValue ?? []) + [(key, value)])
    }

    /// Indented JSON with keys in their given order (for files people read).
    public func pretty(_ indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .array(let values) where !values.isEmpty:
            if values.allSatisfy({ $0.objectValue == nil && $0.arrayValue == nil }) {
                return "[" + values.map { $0.pretty() }.joined(separator: ", ") + "]"
            }
            return "[\n" + values.map { inner + $0.pretty(inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let members) where !members.isEmpty:
            return "{\n" + members.map { inner + JSONValue.quoted($0.key) + ": " + $0.value.pretty(inner) }.joined(separator: ",\n") + "\n\(indent)}"
        default:
            return canonical
        }
    }
}

extension PipelineSchema {
    /// The stage reference of docs/stages.md: every implemented stage type with its
    /// inputs, outputs and parameters (checked against docs/stages.md by a test).
    public static var markdownReference: String {
        var lines: [String] = []
        for type in StageRegistry.implemented.keys.sorted() {
            let stage = StageRegistry.implemented[type]!
            lines.append("#### `\(type)` (version \(stage.version))")
            lines.append("")
            lines.append(stage.summary)
            lines.append("")
            for input in stage.inputs {
                lines.append("- input `\(input.name)`\(input.required ? "" : " (optional)"): \(input.description)")
            }
            for output in stage.outputs {
                lines.append("- output `\(output.name)` (`\(output.file)`): \(output.description)")
            }
            lines.append("")
            lines.append("| parameter | type | default | description |")
            lines.append("|---|---|---|---|")
            func rows(_ specs: [ParameterSpec], prefix: String) {
                for spec in specs {
                    lines.append("| `\(prefix)\(spec.name)`\(spec.required ? " (required)" : "") | \(typeName(spec.kind)) | \(spec.defaultValue.map { "`\($0.canonical)`" } ?? "") | \(spec.description) |")
                    if case .object(let nested) = spec.kind { rows(nested, prefix: "\(prefix)\(spec.name).") }
                    if case .objects(let nested) = spec.kind { rows(nested, prefix: "\(prefix)\(spec.name)[].") }
                }
            }
            rows(stage.parameters, prefix: "")
            lines.append("")
        }
        return lines.dropLast().joined(separator: "\n")
    }

    static func typeName(_ kind: ParameterKind) -> String {
        switch kind {
        case .integer(let low, let high): "integer" + [low.map { " >= \($0)" }, high.map { " <= \($0)" }].compactMap { $0 }.joined()
        case .number(let low, let high, let exclusive):
            "number" + [low.map { exclusive ? " > \($0)" : " >= \($0)" }, high.map { exclusive ? " < \($0)" : " <= \($0)" }].compactMap { $0 }.joined()
        case .string: "string"
        case .boolean: "boolean"
        case .choice(let options): options.map { "`\($0)`" }.joined(separator: ", ")
        case .path: "file path"
        case .strings: "string or array of strings"
        case .object: "object"
        case .objects: "array of objects"
        }
    }
}
