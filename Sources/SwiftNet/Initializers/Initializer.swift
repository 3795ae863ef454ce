/// Keras 3 weight initializers, seeded explicitly so that training is reproducible.
public struct Initializer: Equatable {
    public enum Kind: Equatable {
        case zeros, ones
        case constant(Float)
        case randomNormal(mean: Float, stddev: Float)
        case randomUniform(min: Float, max: Float)
        case truncatedNormal(mean: Float, stddev: Float)
        /// Keras's `VarianceScaling`: `scale / fan` with fan = in, out or their average.
        case varianceScaling(scale: Float, mode: String, distribution: String)
        /// Keras's `Orthogonal`: the Q of a normal matrix's QR decomposition, times `gain`.
        case orthogonal(gain: Float)
        /// Keras's `Identity`: `gain` on the diagonal of a matrix.
        case identity(gain: Float)
    }

    public let kind: Kind
    public let seed: UInt64?

    public init(_ kind: Kind, seed: UInt64? = nil) {
        self.kind = kind
        self.seed = seed
    }

    /// Resolves a Keras name (`"glorot_uniform"`, `"he_normal"`, `"zeros"`, …) or
    /// `{"class_name": "RandomNormal", "config": {"mean": …, "stddev": …, "seed": …}}`.
    /// - Throws: `SwiftNetError` (invalid value) for unknown names and invalid settings.
    public static func from(_ json: JSON, owner: String) throws -> Initializer {
        let name: String
        let config: ConfigReader
        switch json {
        case .string(let s):
            name = s
            config = try ConfigReader(owner: owner, nil)
        case .object:
            guard case .some(.string(let s)) = json["class_name"] else {
                throw SwiftNetError.type("[\(owner)] Expected an initializer name or object. Received: \(json.serialized)")
            }
            name = s
            config = try ConfigReader(owner: owner, json["config"])
        default:
            throw SwiftNetError.type("[\(owner)] Expected an initializer name or object. Received: \(json.serialized)")
        }
        let seed: UInt64? = config.has("seed") ? UInt64(truncatingIfNeeded: try config.int("seed")) : nil
        let kind: Kind
        switch snakeCase(name) {
        case "zeros": kind = .zeros
        case "ones": kind = .ones
        case "constant": kind = .constant(try config.float("value", default: 0))
        case "random_normal":
            kind = .randomNormal(mean: try config.float("mean", default: 0), stddev: try config.float("stddev", default: 0.05))
        case "random_uniform":
            let low = try config.float("minval", default: -0.05), high = try config.float("maxval", default: 0.05)
            guard low <= high else { throw SwiftNetError.value("[\(owner)] Expected minval <= maxval. Received: minval=\(low), maxval=\(high)") }
            kind = .randomUniform(min: low, max: high)
        case "truncated_normal":
            kind = .truncatedNormal(mean: try config.float("mean", default: 0), stddev: try config.float("stddev", default: 0.05))
        case "glorot_uniform": kind = .varianceScaling(scale: 1, mode: "fan_avg", distribution: "uniform")
        case "glorot_normal": kind = .varianceScaling(scale: 1, mode: "fan_avg", distribution: "truncated_normal")
        case "he_uniform": kind = .varianceScaling(scale: 2, mode: "fan_in", distribution: "uniform")
        case "he_normal": kind = .varianceScaling(scale: 2, mode: "fan_in", distribution: "truncated_normal")
        case "lecun_uniform": kind = .varianceScaling(scale: 1, mode: "fan_in", distribution: "uniform")
        case "lecun_normal": kind = .varianceScaling(scale: 1, mode: "fan_in", distribution: "truncated_normal")
        case "variance_scaling":
            let scale = try config.float("scale", default: 1)
            let mode = try config.string("mode", default: "fan_in")
            let distribution = try config.string("distribution", default: "truncated_normal")
            guard scale > 0, ["fan_in", "fan_out", "fan_avg"].contains(mode),
                  ["truncated_normal", "untruncated_normal", "uniform"].contains(distribution) else {
                throw SwiftNetError.value("[\(owner)] Invalid VarianceScaling: scale=\(scale), mode=\(mode), distribution=\(distribution).")
            }
            kind = .varianceScaling(scale: scale, mode: mode, distribution: distribution)
        case "orthogonal": kind = .orthogonal(gain: try config.float("gain", default: 1))
        case "identity":
            kind = .identity(gain: try config.float("gain", default: 1))
        default:
            throw SwiftNetError.value(
                "[\(owner)] Unknown initializer: '\(name)'. Expected one of: glorot_uniform, glorot_normal, he_normal, "
                + "he_uniform, lecun_normal, lecun_uniform, zeros, ones, constant, random_normal, random_uniform, "
                + "truncated_normal, variance_scaling, orthogonal, identity.")
        }
        return Initializer(kind, seed: seed)
    }

    /// "GlorotUniform" → "glorot_uniform"; snake-case names pass through.
    static func snakeCase(_ name: String) -> String {
        var out = ""
        for (i, ch) in name.enumerated() {
            if ch.isUppercase {
                if i > 0 { out.append("_") }
                out.append(contentsOf: ch.lowercased())
            } else {
                out.append(ch)
            }
        }
        return out
    }

    /// Keras's fans: (in, out) for a matrix; for convolution kernels the receptive field multiplies both.
    static func fans(_ shape: [Int]) -> (fanIn: Float, fanOut: Float) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (Float(shape[0]), Float(shape[0]))
        case 2: return (Float(shape[0]), Float(shape[1]))
        default:
            let receptive = Float(shape.dropLast(2).reduce(1, *))
            return (Float(shape[shape.count - 2]) * receptive, Float(shape[shape.count - 1]) * receptive)
        }
    }

    /// Checks that the initializer can fill a weight of `shape` (Identity needs a matrix).
    public func validate(shape: [Int], owner: String) throws {
        if case .identity = kind, shape.count != 2 {
            throw SwiftNetError.value("[\(owner)] Identity initializer requires a 2D shape. Received: shape=\(shape)")
        }
    }

    /// Fills `tensor`; `fallbackSeed` is used when the initializer has no seed of its own.
    public func fill(_ tensor: Tensor, fallbackSeed: UInt64) {
        var rng = RandomGenerator(seed: seed ?? fallbackSeed)
        let p = tensor.data, n = tensor.count
        switch kind {
        case .zeros: p.update(repeating: 0, count: n)
        case .ones: p.update(repeating: 1, count: n)
        case .constant(let v): p.update(repeating: v, count: n)
        case .randomNormal(let mean, let stddev):
            for i in 0..<n { p[i] = mean + stddev * rng.normal() }
        case .randomUniform(let low, let high):
            for i in 0..<n { p[i] = low + (high - low) * rng.uniform() }
        case .truncatedNormal(let mean, let stddev):
            for i in 0..<n { p[i] = mean + stddev * rng.truncatedNormal() }
        case .varianceScaling(let scale, let mode, let distribution):
            let (fanIn, fanOut) = Initializer.fans(tensor.shape)
            let fan = mode == "fan_in" ? fanIn : (mode == "fan_out" ? fanOut : (fanIn + fanOut) / 2)
            let variance = scale / max(1, fan)
            switch distribution {
            case "uniform":
                let limit = (3 * variance).squareRoot()
                for i in 0..<n { p[i] = -limit + 2 * limit * rng.uniform() }
            case "untruncated_normal":
                let stddev = variance.squareRoot()
                for i in 0..<n { p[i] = stddev * rng.normal() }
            default:
                // 0.8796… is the stddev of a unit normal truncated to [-2, 2].
                let stddev = variance.squareRoot() / 0.87962566103423978
                for i in 0..<n { p[i] = stddev * rng.truncatedNormal() }
            }
        case .orthogonal(let gain):
            Initializer.orthogonal(p, shape: tensor.shape, gain: gain, rng: &rng)
        case .identity(let gain):
            p.update(repeating: 0, count: n)
            if tensor.shape.count == 2 {
                for i in 0..<min(tensor.shape[0], tensor.shape[1]) { p[i * tensor.shape[1] + i] = gain }
            }
        }
    }

    /// Keras's orthogonal matrix: the weight flattened to (rows = Π shape[:-1], cols = shape[-1]),
    /// Q of the QR decomposition of a normal matrix of the taller orientation, columns signed by
    /// R's diagonal (Householder reflections, in double precision).
    static func orthogonal(_ p: UnsafeMutablePointer<Float>, shape: [Int], gain: Float, rng: inout RandomGenerator) {
        let cols = shape.last ?? 1, rows = max(shape.count < 2 ? 1 : shape.dropLast().reduce(1, *), 1)
        let transposed = rows < cols
        let m = transposed ? cols : rows, k = transposed ? rows : cols
        // a (m × k, m ≥ k), column-major for the reflections.
        var a = [Double](repeating: 0, count: m * k)
        for i in 0..<m { for j in 0..<k { a[j * m + i] = Double(rng.normal()) } }
        var q = [Double](repeating: 0, count: m * k)
        for j in 0..<k { q[j * m + j] = 1 }
        var reflectors: [[Double]] = []
        var diagonal = [Double](repeating: 1, count: k)
        for j in 0..<k {
            var v = (j..<m).map { a[j * m + $0] }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let alpha = v[0] >= 0 ? -norm : norm
            diagonal[j] = alpha
            v[0] -= alpha
            let vv = v.reduce(0) { $0 + $1 * $1 }
            reflectors.append(vv > 0 ? v.map { $0 / vv.squareRoot() } : v.map { _ in 0 })
            let h = reflectors[j]
            for c in j..<k {
                var dot = 0.0
                for i in j..<m { dot += h[i - j] * a[c * m + i] }
                for i in j..<m { a[c * m + i] -= 2 * dot * h[i - j] }
            }
        }
        // Q = H0 H1 … applied to the first k columns of the identity.
        for j in stride(from: k - 1, through: 0, by: -1) {
            let h = reflectors[j]
            for c in 0..<k {
                var dot = 0.0
                for i in j..<m { dot += h[i - j] * q[c * m + i] }
                for i in j..<m { q[c * m + i] -= 2 * dot * h[i - j] }
            }
        }
        for c in 0..<k where diagonal[c] < 0 { for i in 0..<m { q[c * m + i] = -q[c * m + i] } }
        for r in 0..<rows {
            for c in 0..<cols {
                let value = transposed ? q[r * m + c] : q[c * m + r]
                p[r * cols + c] = gain * Float(value)
            }
        }
    }
}
