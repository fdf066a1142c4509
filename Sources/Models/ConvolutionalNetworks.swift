import Datasets
import NeuralNet
import TensorCore

/// How a neural model is built for its samples.
public enum Architecture: String, Codable, Sendable, CaseIterable {
    /// Convolutional for image samples (`[channels, height, width]`), dense for table rows.
    case auto
    /// Dense layers over the flattened sample.
    case dense
    /// Convolutional; the samples must be images.
    case conv

    /// Whether a model of `schema` gets convolutional networks.
    /// - Throws: `ModelError` when `conv` is asked for rows that are not images.
    func usesConvolutions(for schema: SampleSchema, model: String) throws -> Bool {
        switch self {
        case .dense: return false
        case .auto: return schema.isImage
        case .conv:
            guard schema.isImage else {
                throw ModelError("\(model): architecture conv needs image samples [channels, height, width], got \(describe(schema.shape))")
            }
            return true
        }
    }
}

/// The convolutional halves the image models share, after the seeds' DCGAN (Radford et al.
/// 2016, as in the Keras tutorial): an encoder Conv(f, 5×5, stride 2, same) → Conv(2f, 5×5,
/// stride 2, same), and a decoder Dense(4f · H/4 · W/4) → reshape → ConvTranspose(2f, 4×4,
/// stride 2, same) → ConvTranspose(f, 4×4, stride 2, same) → ConvTranspose(channels, 7×7,
/// same), LeakyReLU(0.2) between. With f = 64 these are the seeds' networks exactly.
///
/// Both take and give flat rows `[batch, channels · height · width]` (the dataset layout,
/// NCHW order), reshaping at their ends, so a model's losses stay those of its rows.
public enum ConvolutionalNetworks {
    /// Flat rows to features: `[Reshape(shape), Conv, LeakyReLU, Conv, LeakyReLU, Flatten]`.
    /// - Parameter conditions: class columns after each row's pixels (conditional models),
    ///   joined to the image as constant channels.
    /// - Returns: the layers and the width of their output rows.
    public static func encoder(_ shape: [Int], conditions: Int = 0, filters: Int, using rng: inout SeededRNG) throws -> (layers: [any Layer], width: Int) {
        let (channels, height, width) = try imageSize(shape, filters: filters)
        let layers: [any Layer] = [
            conditions > 0 ? ConditionChannels(shape, conditions: conditions) : Reshape(shape),
            try Conv2d(inChannels: channels + conditions, outChannels: filters, kernel: 5, stride: 2, padding: .same, initialization: .pytorch, using: &rng),
            Activation(.leakyRelu(slope: 0.2)),
            try Conv2d(inChannels: filters, outChannels: 2 * filters, kernel: 5, stride: 2, padding: .same, initialization: .pytorch, using: &rng),
            Activation(.leakyRelu(slope: 0.2)),
            Flatten(),
        ]
        let quarter = { ($0 + 3) / 4 }  // two stride-2 "same" convolutions: ceil(ceil(n / 2) / 2)
        return (layers, 2 * filters * quarter(height) * quarter(width))
    }

    /// `inputs` values per row to flat images of `shape`; the last layer is linear (the caller adds tanh or not).
    /// - Throws: `ModelError` unless height and width are multiples of 4 (two doublings).
    public static func decoder(inputs: Int, _ shape: [Int], filters: Int, using rng: inout SeededRNG) throws -> [any Layer] {
        let (channels, height, width) = try imageSize(shape, filters: filters)
        guard height % 4 == 0, width % 4 == 0 else {
            throw ModelError("a convolutional decoder doubles the size twice: height and width must be multiples of 4, got \(describe(shape))")
        }
        let seed = [4 * filters, height / 4, width / 4]
        return [
            Linear(inputs: inputs, outputs: seed.reduce(1, *), initialization: .pytorch, using: &rng),
            Activation(.leakyRelu(slope: 0.2)),
            Reshape(seed),
            try Conv2d(inChannels: 4 * filters, outChannels: 2 * filters, kernel: 4, stride: 2, padding: .same, transposed: true, initialization: .pytorch, using: &rng),
            Activation(.leakyRelu(slope: 0.2)),
            try Conv2d(inChannels: 2 * filters, outChannels: filters, kernel: 4, stride: 2, padding: .same, transposed: true, initialization: .pytorch, using: &rng),
            Activation(.leakyRelu(slope: 0.2)),
            try Conv2d(inChannels: filters, outChannels: channels, kernel: 7, stride: 1, padding: .same, transposed: true,
                       initialization: .pytorch, using: &rng),
            Flatten(),
        ]
    }

    private static func imageSize(_ shape: [Int], filters: Int) throws -> (Int, Int, Int) {
        guard shape.count == 3, shape.allSatisfy({ $0 >= 1 }) else {
            throw ModelError("convolutional networks need image samples [channels, height, width], got \(describe(shape))")
        }
        guard filters >= 1 else { throw ModelError("filters must be at least 1, got \(filters)") }
        return (shape[0], shape[1], shape[2])
    }
}

/// Rows of pixels followed by class columns, `[batch, C·H·W + k]`, as images with the k class
/// values as k more constant channels, `[batch, C + k, H, W]` (the usual conditional DCGAN input).
final class ConditionChannels: Layer {
    let shape: [Int]
    let conditions: Int

    init(_ shape: [Int], conditions: Int) {
        self.shape = shape
        self.conditions = conditions
    }

    func callAsFunction(_ input: Variable) throws -> Variable {
        let pixels = shape.reduce(1, *), batch = input.shape.first ?? 0
        let parts = try input.splitColumns([pixels, conditions])
        let planes = try parts[1].reshaped([batch, conditions, 1, 1]) * Variable(Tensor(repeating: 1, shape: [1, 1, shape[1], shape[2]]))
        return try Variable.concatChannels([try parts[0].reshaped([batch] + shape), planes])
    }

    func namedParameters() -> [NamedVariable] { [] }
}
