#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) private func load(_ p: UnsafeMutablePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inline(__always) private func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}

/// Base of Keras 3 optimizers: gradient clipping, decoupled weight decay and per-weight state
/// ("slots"), with the update rule left to subclasses.
open class Optimizer {
    open class var className: String { "Optimizer" }
    public var learningRate: Float
    /// Number of updates applied (Keras's `optimizer.iterations`).
    public private(set) var iterations: Int = 0
    let clipNorm: Float?
    let clipValue: Float?
    let globalClipNorm: Float?
    let weightDecay: Float?
    /// Per-weight state buffers, created on the first update.
    private var slots: [[FloatBuffer]] = []

    /// Reads the options shared by every Keras optimizer.
    init(config: ConfigReader, defaultLearningRate: Float) throws {
        learningRate = try config.float("learning_rate", default: defaultLearningRate)
        func positive(_ key: String) throws -> Float? {
            guard config.has(key) else { return nil }
            let v = try config.float(key)
            guard v > 0 else { throw config.fail("Expected `\(key)` > 0. Received: \(key)=\(v)") }
            return v
        }
        clipNorm = try positive("clipnorm")
        clipValue = try positive("clipvalue")
        globalClipNorm = try positive("global_clipnorm")
        weightDecay = try positive("weight_decay")
        guard learningRate >= 0 else { throw config.fail("Expected learning_rate >= 0. Received: learning_rate=\(learningRate)") }
        if [clipNorm, globalClipNorm, clipValue].compactMap({ $0 }).count > 1 {
            throw config.fail("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set.")
        }
    }

    /// Number of state buffers per weight.
    open var slotsPerWeight: Int { 0 }
    /// Initial value of the state buffers.
    open var initialSlotValue: Float { 0 }

    /// Number of state values (for `summary()`): slots plus the iteration counter and the
    /// learning rate, which Keras counts as optimizer variables too.
    public func stateCount(for weights: [Tensor]) -> Int {
        weights.reduce(0) { $0 + $1.count * slotsPerWeight } + 2
    }

    /// Applies one update to `weights` from their gradients (weights with no gradient get zeros).
    public func apply(to weights: [Tensor]) throws {
        if slots.count != weights.count {
            slots = try weights.map { w in
                try (0..<slotsPerWeight).map { _ in
                    let b = try FloatBuffer(capacity: w.count)
                    b.pointer.update(repeating: initialSlotValue, count: w.count)
                    return b
                }
            }
        }
        for w in weights { w.zeroGradientIfUnset() }
        clipGradients(weights)
        iterations += 1
        for (i, w) in weights.enumerated() {
            if let weightDecay {
                let factor = 1 - weightDecay * learningRate
                vectorMap(w.count, w.data, w.data) { $0 * factor }
            }
            let weight = w.data, gradient = w.grad!, slotPointers = slots[i].map(\.pointer), step = iterations
            // Element-wise rules: any split gives the same result; whole vectors per thread.
            parallelChunks(w.count, minChunk: 1 << 14) { range in
                let start = range.lowerBound
                update(weight + start, gradient: gradient + start, count: range.count,
                       slots: slotPointers.map { $0 + start }, step: step)
            }
        }
    }

    /// The update rule for one weight; `step` counts from 1.
    open func update(_ weight: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int,
                     slots: [UnsafeMutablePointer<Float>], step: Int) {}

    private func clipGradients(_ weights: [Tensor]) {
        if let clipValue {
            for w in weights { vectorMap(w.count, w.grad!, w.grad!) { vclamp($0, -clipValue, clipValue) } }
        }
        if let clipNorm {
            for w in weights { scale(w, toNorm: clipNorm, norm: norm(of: [w])) }
        }
        if let globalClipNorm {
            let total = norm(of: weights)
            for w in weights { scale(w, toNorm: globalClipNorm, norm: total) }
        }
    }

    private func norm(of weights: [Tensor]) -> Float {
        var sum = 0.0
        for w in weights {
            for i in 0..<w.count { sum += Double(w.grad![i]) * Double(w.grad![i]) }
        }
        return Float(sum.squareRoot())
    }

    private func scale(_ w: Tensor, toNorm limit: Float, norm: Float) {
        guard norm > limit else { return }
        let factor = limit / norm
        vectorMap(w.count, w.grad!, w.grad!) { $0 * factor }
    }

    /// Resolves `"adam"`, `"sgd"`, `"rmsprop"`, `"adagrad"` or `{"class_name": "Adam", "config": {…}}`.
    /// - Throws: `SwiftNetError` (invalid value) for unknown names or settings.
    public static func from(_ json: JSON) throws -> Optimizer {
        let name: String
        var config: JSON? = nil
        switch json {
        case .string(let s): name = s
        case .object:
            guard case .some(.string(let s)) = json["class_name"] else {
                throw SwiftNetError.type("[compile] Expected `optimizer` to be a name or an optimizer object.")
            }
            name = s
            config = json["config"]
        default:
            throw SwiftNetError.type("[compile] Expected `optimizer` to be a name or an optimizer object. Received: \(json.serialized)")
        }
        switch name.lowercased() {
        case "sgd": return try SGD(config: ConfigReader(owner: "SGD", config))
        case "adam": return try Adam(config: ConfigReader(owner: "Adam", config))
        case "rmsprop": return try RMSprop(config: ConfigReader(owner: "RMSprop", config))
        case "adagrad": return try Adagrad(config: ConfigReader(owner: "Adagrad", config))
        default:
            throw SwiftNetError.value("[compile] Unknown optimizer: '\(name)'. Expected one of: sgd, adam, rmsprop, adagrad.")
        }
    }
}

/// Keras's `SGD`: `learning_rate` 0.01, `momentum` 0, `nesterov` false.
public final class SGD: Optimizer {
    override public class var className: String { "SGD" }
    public let momentum: Float
    public let nesterov: Bool

    public init(config: ConfigReader) throws {
        momentum = try config.float("momentum", default: 0)
        nesterov = try config.bool("nesterov", default: false)
        try super.init(config: config, defaultLearningRate: 0.01)
        guard momentum >= 0, momentum <= 1 else {
            throw config.fail("`momentum` must be a float between [0, 1]. Received: momentum=\(momentum)")
        }
    }

    override public var slotsPerWeight: Int { momentum != 0 ? 1 : 0 }

    override public func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let lr = learningRate, mu = momentum
        if mu == 0 {
            vectorMap2(count, w, g, w) { $0 - lr * $1 }
            return
        }
        let m = slots[0]
        // m = μ·m − lr·g; w += m (or, Nesterov, w += μ·m − lr·g).
        vectorMap2(count, m, g, m) { mu * $0 - lr * $1 }
        if nesterov {
            vectorMap3(count, w, m, g, w) { $0 + mu * $1 - lr * $2 }
        } else {
            vectorMap2(count, w, m, w) { $0 + $1 }
        }
    }
}

/// Keras's `Adam`: `learning_rate` 0.001, `beta_1` 0.9, `beta_2` 0.999, `epsilon` 1e-7, `amsgrad` false.
public final class Adam: Optimizer {
    override public class var className: String { "Adam" }
    public let beta1: Float, beta2: Float, epsilon: Float
    public let amsgrad: Bool

    public init(config: ConfigReader) throws {
        beta1 = try config.float("beta_1", default: 0.9)
        beta2 = try config.float("beta_2", default: 0.999)
        epsilon = try config.float("epsilon", default: 1e-7)
        amsgrad = try config.bool("amsgrad", default: false)
        try super.init(config: config, defaultLearningRate: 0.001)
        guard beta1 >= 0, beta1 < 1, beta2 >= 0, beta2 < 1, epsilon >= 0 else {
            throw config.fail("Expected 0 <= beta_1, beta_2 < 1 and epsilon >= 0. Received: beta_1=\(beta1), beta_2=\(beta2), epsilon=\(epsilon)")
        }
    }

    override public var slotsPerWeight: Int { amsgrad ? 3 : 2 }

    override public func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let m = slots[0], v = slots[1]
        let vHat: UnsafeMutablePointer<Float>? = amsgrad ? slots[2] : nil
        // Keras folds both bias corrections into the step size.
        let t = Double(step)
        let alpha = Float(Double(learningRate) * (1 - pow(Double(beta2), t)).squareRoot() / (1 - pow(Double(beta1), t)))
        let keep1 = 1 - beta1, keep2 = 1 - beta2, eps = epsilon
        // One fused pass over weight, gradient and both moments.
        var i = 0
        while i + vecWidth <= count {
            let gv = load(g + i)
            var mv = load(m + i), vv = load(v + i)
            mv += (gv - mv) * keep1
            vv += (gv * gv - vv) * keep2
            store(mv, m + i)
            store(vv, v + i)
            if let vHat {
                let previous = load(vHat + i)
                vv = vv.replacing(with: previous, where: previous .> vv)
                store(vv, vHat + i)
            }
            store(load(w + i) - (mv * alpha) / (vv.squareRoot() + eps), w + i)
            i += vecWidth
        }
        while i < count {
            m[i] += (g[i] - m[i]) * keep1
            v[i] += (g[i] * g[i] - v[i]) * keep2
            var vi = v[i]
            if let vHat {
                vHat[i] = max(vHat[i], vi)
                vi = vHat[i]
            }
            w[i] -= (m[i] * alpha) / (vi.squareRoot() + eps)
            i += 1
        }
    }
}

/// Keras's `RMSprop`: `learning_rate` 0.001, `rho` 0.9, `momentum` 0, `epsilon` 1e-7, `centered` false.
public final class RMSprop: Optimizer {
    override public class var className: String { "RMSprop" }
    public let rho: Float, momentum: Float, epsilon: Float
    public let centered: Bool

    public init(config: ConfigReader) throws {
        rho = try config.float("rho", default: 0.9)
        momentum = try config.float("momentum", default: 0)
        epsilon = try config.float("epsilon", default: 1e-7)
        centered = try config.bool("centered", default: false)
        try super.init(config: config, defaultLearningRate: 0.001)
        guard rho >= 0, rho < 1, momentum >= 0, momentum <= 1, epsilon >= 0 else {
            throw config.fail("Expected 0 <= rho < 1, 0 <= momentum <= 1, epsilon >= 0. Received: rho=\(rho), momentum=\(momentum), epsilon=\(epsilon)")
        }
    }

    /// Velocity, then the momentum buffer when `momentum` > 0, then the average gradient when centered.
    override public var slotsPerWeight: Int { 1 + (momentum > 0 ? 1 : 0) + (centered ? 1 : 0) }

    override public func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let velocity = slots[0]
        let mom: UnsafeMutablePointer<Float>? = momentum > 0 ? slots[1] : nil
        let average: UnsafeMutablePointer<Float>? = centered ? slots[slots.count - 1] : nil
        let rho = rho, lr = learningRate, eps = epsilon, mu = momentum
        for i in 0..<count {
            let gi = g[i]
            velocity[i] = rho * velocity[i] + (1 - rho) * gi * gi
            var denominator = velocity[i] + eps
            if let average {
                average[i] = rho * average[i] + (1 - rho) * gi
                denominator -= average[i] * average[i]
            }
            let increment = lr * gi / denominator.squareRoot()
            if let mom {
                mom[i] = mu * mom[i] + increment
                w[i] -= mom[i]
            } else {
                w[i] -= increment
            }
        }
    }
}

/// Keras's `Adagrad`: `learning_rate` 0.001, `initial_accumulator_value` 0.1, `epsilon` 1e-7.
public final class Adagrad: Optimizer {
    override public class var className: String { "Adagrad" }
    public let initialAccumulator: Float, epsilon: Float

    public init(config: ConfigReader) throws {
        initialAccumulator = try config.float("initial_accumulator_value", default: 0.1)
        epsilon = try config.float("epsilon", default: 1e-7)
        try super.init(config: config, defaultLearningRate: 0.001)
        guard initialAccumulator >= 0, epsilon >= 0 else {
            throw config.fail("Expected initial_accumulator_value >= 0 and epsilon >= 0.")
        }
    }

    override public var slotsPerWeight: Int { 1 }
    override public var initialSlotValue: Float { initialAccumulator }

    override public func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let accumulator = slots[0], lr = learningRate, eps = epsilon
        vectorMap2(count, accumulator, g, accumulator) { $0 + $1 * $1 }
        vectorMap3(count, w, g, accumulator, w) { w, g, a in w - lr * g / (a + eps).squareRoot() }
    }
}
