import TensorCore

/// A parameter or buffer of a module, named by its path (`encoder.0.weight`).
public typealias NamedVariable = (path: String, variable: Variable)

/// Something with named parameters: layers, networks and whole models.
///
/// One tree of paths is shared by gradients, optimizer state and checkpoints;
/// the paths are the safetensors keys, PyTorch-style.
public protocol Module: AnyObject {
    /// Trainable parameters, in a fixed order.
    func namedParameters() -> [NamedVariable]
    /// Non-trainable state saved with the parameters (e.g. running statistics).
    func namedBuffers() -> [NamedVariable]
    /// Switches training-only behaviour (dropout, batch statistics) on or off.
    func setTraining(_ training: Bool)
}

extension Module {
    public func namedBuffers() -> [NamedVariable] { [] }
    public func setTraining(_ training: Bool) {}

    /// Parameters followed by buffers: everything a checkpoint holds.
    public func namedState() -> [NamedVariable] { namedParameters() + namedBuffers() }

    /// Drops every parameter's gradient.
    public func clearGradients() {
        for (_, parameter) in namedParameters() { parameter.gradient = nil }
    }

    /// Runs `body` with every parameter frozen (no gradients computed for them),
    /// e.g. the discriminator while the generator trains, then unfreezes them.
    public func withFrozenParameters<R>(_ body: () throws -> R) rethrows -> R {
        let parameters = namedParameters().map(\.variable)
        let previous = parameters.map(\.requiresGradient)
        for parameter in parameters { parameter.requiresGradient = false }
        defer { for (parameter, flag) in zip(parameters, previous) { parameter.requiresGradient = flag } }
        return try body()
    }

    /// Total number of trainable scalars.
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.variable.value.count } }
}

/// A module that maps one batch to another.
public protocol Layer: Module {
    /// - Parameter input: `[batch, ...]`: rows of features, or NCHW images for convolutions.
    func callAsFunction(_ input: Variable) throws -> Variable
}

/// Prefixes every path of a child module's variables: `prefix.path`.
public func prefixed(_ prefix: String, _ variables: [NamedVariable]) -> [NamedVariable] {
    variables.map { (path: "\(prefix).\($0.path)", variable: $0.variable) }
}

/// Layers applied one after the other; paths are numbered like PyTorch's `nn.Sequential`.
public final class Sequential: Layer {
    public let layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        try layers.reduce(input) { try $1($0) }
    }

    public func namedParameters() -> [NamedVariable] {
        layers.enumerated().flatMap { prefixed(String($0.offset), $0.element.namedParameters()) }
    }

    public func namedBuffers() -> [NamedVariable] {
        layers.enumerated().flatMap { prefixed(String($0.offset), $0.element.namedBuffers()) }
    }

    public func setTraining(_ training: Bool) {
        for layer in layers { layer.setTraining(training) }
    }
}
