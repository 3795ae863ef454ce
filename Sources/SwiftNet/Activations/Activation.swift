/// The activation functions of Keras 3, by their Keras names.
public enum Activation: String, CaseIterable {
    case linear, relu, sigmoid, tanh, softmax, elu, selu, gelu
    case leakyRelu = "leaky_relu"
    case softplus, swish, relu6, softsign
    case hardSigmoid = "hard_sigmoid"
    case exponential

    /// Resolves a Keras activation name; `nil`, `"linear"` and `"None"` mean none.
    /// - Throws: `SwiftNetError` (invalid value) listing the known names.
    public static func named(_ name: String?, owner: String = "Activation") throws -> Activation {
        guard let name, !name.isEmpty, name != "None" else { return .linear }
        if name == "silu" { return .swish }
        if let a = Activation(rawValue: name) { return a }
        let known = (allCases.map(\.rawValue) + ["silu"]).sorted().joined(separator: ", ")
        throw SwiftNetError.value("[\(owner)] Unknown activation: '\(name)'. Expected one of: \(known).")
    }

    /// Keras constants for SELU.
    static let seluAlpha: Float = 1.6732632423543772848170429916717
    static let seluScale: Float = 1.0507009873554804934193349852946
    /// Keras 3's default slope of the `leaky_relu` activation function.
    static let leakySlope: Float = 0.2

    /// Whether the gradient needs the input (otherwise the output suffices).
    var gradientNeedsInput: Bool {
        switch self {
        case .gelu, .softplus, .swish, .softsign, .relu6, .hardSigmoid: return true
        default: return false
        }
    }

    /// Softmax and sigmoid outputs remember their input, so cross-entropy can use logits.
    var exposesLogits: Bool { self == .softmax || self == .sigmoid }

    /// The element-wise function (not for softmax, which works on rows). Transparent, like the
    /// math it calls: a call would pass the vector in four 128-bit registers.
    @_transparent
    func apply(_ x: Vec) -> Vec {
        switch self {
        case .linear, .softmax: return x
        case .relu: return x.replacing(with: 0, where: x .< 0)
        case .sigmoid: return VectorMath.sigmoid(x)
        case .tanh: return VectorMath.tanh(x)
        case .elu:
            return x.replacing(with: VectorMath.exp(x) - 1, where: x .<= 0)
        case .selu:
            let negative = Activation.seluScale * Activation.seluAlpha * (VectorMath.exp(x) - 1)
            return (Activation.seluScale * x).replacing(with: negative, where: x .<= 0)
        case .gelu:
            return 0.5 * x * (1 + VectorMath.erf(x * 0.70710678118654752))
        case .leakyRelu:
            return x.replacing(with: x * Activation.leakySlope, where: x .< 0)
        case .softplus: return VectorMath.softplus(x)
        case .swish: return x * VectorMath.sigmoid(x)
        case .relu6: return vclamp(x, 0, 6)
        case .softsign: return x / (1 + vabs(x))
        case .hardSigmoid:
            return vclamp((x + 3) * (1.0 / 6.0), 0, 1)
        case .exponential: return VectorMath.exp(x)
        }
    }

    /// d output / d input from the input `x` (when `gradientNeedsInput`) and the output `y`.
    @_transparent
    func derivative(input x: Vec, output y: Vec) -> Vec {
        let one = Vec(repeating: 1), zero = Vec(repeating: 0)
        switch self {
        case .linear, .softmax: return one
        case .relu: return one.replacing(with: 0, where: y .<= 0)
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        case .elu: return one.replacing(with: y + 1, where: y .<= 0)
        case .selu:
            return Vec(repeating: Activation.seluScale)
                .replacing(with: y + Activation.seluScale * Activation.seluAlpha, where: y .<= 0)
        case .gelu:
            let cdf = 0.5 * (1 + VectorMath.erf(x * 0.70710678118654752))
            let pdf = VectorMath.exp(-0.5 * x * x) * 0.3989422804014327
            return cdf + x * pdf
        case .leakyRelu: return one.replacing(with: Activation.leakySlope, where: y .< 0)
        case .softplus: return VectorMath.sigmoid(x)
        case .swish:
            let s = VectorMath.sigmoid(x)
            return s * (1 + x * (1 - s))
        case .relu6: return zero.replacing(with: 1, where: (x .> 0) .& (x .< 6))
        case .softsign:
            let d = 1 + vabs(x)
            return 1 / (d * d)
        case .hardSigmoid: return zero.replacing(with: 1.0 / 6.0, where: (x .> -3) .& (x .< 3))
        case .exponential: return y
        }
    }
}
