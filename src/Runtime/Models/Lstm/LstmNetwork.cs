using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using StrategyLab.Runtime.Data.Synthetic;

namespace StrategyLab.Runtime.Models.Lstm;

/// <summary>
/// The network's parameters and its forward and backward passes over one piece of a mini-batch.
/// The LSTM cell is Hochreiter and Schmidhuber's with a forget gate, in PyTorch's formulation:
/// z = x·W_x + h_{t−1}·W_h + b split into blocks i, f, g, o; i, f, o = σ(·), g = tanh(·);
/// c_t = f ⊙ c_{t−1} + i ⊙ g; h_t = o ⊙ tanh(c_t); zero initial state. Backpropagation through time
/// walks the steps backwards with one batched product per step for the recurrent gradient and one
/// product over all steps for each weight gradient.
/// </summary>
/// <remarks>
/// Passes that need statistics over the whole mini-batch (batch norm) are split at those points:
/// the caller runs a phase on every piece, combines the pieces' sums in piece order, and runs the
/// next phase, so the result does not depend on how many threads ran the pieces.
/// </remarks>
internal sealed class LstmNetwork<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private const double BatchNormEpsilon = 1e-5;

    // alpha dropout constants for SELU (Klambauer et al. 2017): α' = −λα
    private const double SeluAlphaPrime = -1.0507009873554805 * 1.6732632423543772;

    public readonly LstmOptions Options;
    public readonly LstmLayout Layout;
    public readonly T[] Parameters;

    /// <summary>Batch-norm running mean and (unbiased) variance per layer, used at inference.</summary>
    public readonly double[][] RunningMean;
    public readonly double[][] RunningVariance;

    /// <summary>Batch-norm statistics of the current mini-batch per layer: mean and 1 / √(var + ε).</summary>
    public readonly double[][] BatchMean;
    public readonly double[][] BatchInverseStd;

    /// <summary>The recurrent weights transposed, [4·hidden × hidden] per layer, for the backward pass; see <see cref="PrepareBackward"/>.</summary>
    public readonly T[][] RecurrentTransposed;

    /// <summary>Rows in the whole current mini-batch (all pieces).</summary>
    public int BatchRows;

    public LstmNetwork(LstmOptions options)
    {
        options.Validate();
        Options = options;
        Layout = new LstmLayout(options);
        Parameters = new T[Layout.Count];
        RunningMean = new double[options.Layers][];
        RunningVariance = new double[options.Layers][];
        BatchMean = new double[options.Layers][];
        BatchInverseStd = new double[options.Layers][];
        RecurrentTransposed = new T[options.Layers][];
        for (var l = 0; l < options.Layers; l++)
        {
            RunningMean[l] = new double[options.Hidden];
            RunningVariance[l] = new double[options.Hidden];
            Array.Fill(RunningVariance[l], 1.0);
            BatchMean[l] = new double[options.Hidden];
            BatchInverseStd[l] = new double[options.Hidden];
            RecurrentTransposed[l] = new T[4 * options.Hidden * options.Hidden];
        }
    }

    private static T Of(double x) => T.CreateTruncating(x);

    /// <summary>
    /// PyTorch's initialisation: LSTM weights U(−1/√hidden, 1/√hidden) and the bias the sum of two
    /// such draws (b_ih + b_hh); linear layers U(−1/√in, 1/√in); batch norm γ = 1, β = 0.
    /// </summary>
    public void Initialise(ulong seed)
    {
        var rng = new SplitMix64(seed);
        var p = Parameters.AsSpan();
        void Fill(int offset, int length, double bound, ref SplitMix64 r, bool twice = false)
        {
            for (var i = 0; i < length; i++)
            {
                var v = (2 * r.Uniform() - 1) * bound;
                if (twice)
                    v += (2 * r.Uniform() - 1) * bound;
                Parameters[offset + i] = Of(v);
            }
        }
        int h = Options.Hidden, g = 4 * h;
        var k = 1 / Math.Sqrt(h);
        for (var l = 0; l < Options.Layers; l++)
        {
            var inputs = l == 0 ? Options.Features : h;
            Fill(Layout.InputWeights[l], inputs * g, k, ref rng);
            Fill(Layout.RecurrentWeights[l], h * g, k, ref rng);
            Fill(Layout.Bias[l], g, k, ref rng, twice: true);
            if (Options.BatchNorm)
            {
                p.Slice(Layout.Gamma[l], h).Fill(T.One);
                p.Slice(Layout.Beta[l], h).Clear();
            }
        }
        var headIn = h;
        if (Options.DenseUnits > 0)
        {
            var kd = 1 / Math.Sqrt(h);
            Fill(Layout.DenseWeights, h * Options.DenseUnits, kd, ref rng);
            Fill(Layout.DenseBias, Options.DenseUnits, kd, ref rng);
            headIn = Options.DenseUnits;
        }
        var ko = 1 / Math.Sqrt(headIn);
        Fill(Layout.OutputWeights, headIn * Options.Outputs, ko, ref rng);
        Fill(Layout.OutputBias, Options.Outputs, ko, ref rng);
    }

    /// <summary>Refreshes <see cref="RecurrentTransposed"/> from the parameters; call once per mini-batch before the backward passes.</summary>
    public void PrepareBackward()
    {
        int h = Options.Hidden, g4 = 4 * h;
        for (var l = 0; l < Options.Layers; l++)
        {
            var wh = Parameters.AsSpan(Layout.RecurrentWeights[l], h * g4);
            var t = RecurrentTransposed[l];
            for (var i = 0; i < h; i++)
                for (var j = 0; j < g4; j++)
                    t[j * h + i] = wh[i * g4 + j];
        }
    }

    /// <summary>Copies <paramref name="count"/> sequences [count × window × features], starting at each index, into the piece's time-major input.</summary>
    public void Gather(LstmWorkspace<T> ws, ReadOnlySpan<double> sequences, ReadOnlySpan<double> targets, ReadOnlySpan<int> index)
    {
        int w = Options.Window, f = Options.Features, rows = index.Length;
        var x = ws.Inputs[0].AsSpan();
        for (var r = 0; r < rows; r++)
        {
            var src = sequences.Slice(index[r] * w * f, w * f);
            for (var t = 0; t < w; t++)
            {
                var dst = x.Slice((t * rows + r) * f, f);
                for (var j = 0; j < f; j++)
                    dst[j] = Of(src[t * f + j]);
            }
            if (!targets.IsEmpty)
                ws.Targets[r] = Of(targets[index[r]]);
        }
    }

    /// <summary>Draws a dropout mask of multipliers 0 (probability p) or 1 / (1 − p).</summary>
    private static void DrawMask(Span<T> mask, double p, ref SplitMix64 rng)
    {
        var keep = Of(1 / (1 - p));
        for (var i = 0; i < mask.Length; i++)
            mask[i] = rng.Uniform() < p ? T.Zero : keep;
    }

    /// <summary>The random stream of one piece, one purpose and one mini-batch.</summary>
    public static SplitMix64 Stream(ulong stepSeed, int piece, int purpose)
    {
        var mix = new SplitMix64(stepSeed ^ ((ulong)piece * 0xD1B54A32D192ED03UL) ^ ((ulong)(purpose + 1) * 0x9E3779B97F4A7C15UL));
        return new SplitMix64(mix.Next());
    }

    /// <summary>
    /// Runs LSTM layer <paramref name="l"/> over the piece. Without batch norm it also writes the
    /// next layer's input (with dropout when training); with batch norm it leaves the output in the
    /// hidden states and, when training, adds Σy and Σy² to the piece's sums for <see cref="Normalise"/>.
    /// </summary>
    public void ForwardLayer(LstmWorkspace<T> ws, int l, int rows, bool training, ulong stepSeed, int piece)
    {
        int w = Options.Window, h = Options.Hidden, g4 = 4 * h;
        var inputs = l == 0 ? Options.Features : h;
        var x = ws.Inputs[l].AsSpan(0, w * rows * inputs);
        var gates = ws.Gates[l].AsSpan(0, w * rows * g4);
        var hs = ws.HiddenStates[l].AsSpan(0, (w + 1) * rows * h);
        var cs = ws.CellStates[l].AsSpan(0, (w + 1) * rows * h);
        var tc = ws.CellTanh[l].AsSpan(0, w * rows * h);
        var p = Parameters.AsSpan();
        var wx = p.Slice(Layout.InputWeights[l], inputs * g4);
        var wh = p.Slice(Layout.RecurrentWeights[l], h * g4);
        var b = p.Slice(Layout.Bias[l], g4);

        for (var r = 0; r < w * rows; r++)
            b.CopyTo(gates.Slice(r * g4, g4));
        Gemm.Multiply<T>(false, false, w * rows, g4, inputs, x, inputs, wx, g4, gates, g4, true, ws.Scratch);
        hs[..(rows * h)].Clear();
        cs[..(rows * h)].Clear();
        for (var t = 0; t < w; t++)
        {
            var z = gates.Slice(t * rows * g4, rows * g4);
            Gemm.Multiply<T>(false, false, rows, g4, h, hs.Slice(t * rows * h, rows * h), h, wh, g4, z, g4, true, ws.Scratch);
            Cell(z, cs.Slice(t * rows * h, rows * h), cs.Slice((t + 1) * rows * h, rows * h),
                tc.Slice(t * rows * h, rows * h), hs.Slice((t + 1) * rows * h, rows * h), rows, h);
        }

        var y = hs.Slice(rows * h, w * rows * h);
        if (Options.BatchNorm)
        {
            if (training)
                SumSquares(y, h, ws.SumA[l], ws.SumB[l]);
            return;
        }
        var next = ws.Inputs[l + 1].AsSpan(0, w * rows * h);
        if (training && ws.LayerMasks[l].Length > 0)
        {
            var mask = ws.LayerMasks[l].AsSpan(0, w * rows * h);
            var rng = Stream(stepSeed, piece, l);
            DrawMask(mask, Options.Dropout, ref rng);
            TensorPrimitives.Multiply(y, mask, next);
        }
        else
            y.CopyTo(next);
    }

    // fused gate activations and cell update for one step: z holds pre-activations, becomes i, f, g, o
    private static void Cell(Span<T> z, ReadOnlySpan<T> cPrev, Span<T> c, Span<T> cTanh, Span<T> hOut, int rows, int h)
    {
        int g4 = 4 * h;
        var two = T.One + T.One;
        // tanh(x) = 2σ(2x) − 1, so one sigmoid pass covers all four gates
        for (var r = 0; r < rows; r++)
        {
            var gBlock = z.Slice(r * g4 + 2 * h, h);
            TensorPrimitives.Multiply(gBlock, two, gBlock);
        }
        TensorPrimitives.Sigmoid(z, z);
        for (var r = 0; r < rows; r++)
        {
            var zr = z.Slice(r * g4, g4);
            var i = zr[..h];
            var f = zr.Slice(h, h);
            var g = zr.Slice(2 * h, h);
            var cp = cPrev.Slice(r * h, h);
            var cr = c.Slice(r * h, h);
            var j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vTwo = Vector256.Create(two);
                var vOne = Vector256<T>.One;
                for (; j <= h - Vector256<T>.Count; j += Vector256<T>.Count)
                {
                    var gv = vTwo * Vector256.Create<T>(g[j..]) - vOne;
                    gv.CopyTo(g[j..]);
                    var cv = Vector256.Create<T>(f[j..]) * Vector256.Create<T>(cp[j..]) + Vector256.Create<T>(i[j..]) * gv;
                    cv.CopyTo(cr[j..]);
                }
            }
            for (; j < h; j++)
            {
                var gv = two * g[j] - T.One;
                g[j] = gv;
                cr[j] = f[j] * cp[j] + i[j] * gv;
            }
        }
        TensorPrimitives.Tanh(c, cTanh);
        for (var r = 0; r < rows; r++)
            TensorPrimitives.Multiply(z.Slice(r * g4 + 3 * h, h), cTanh.Slice(r * h, h), hOut.Slice(r * h, h));
    }

    private static void SumSquares(ReadOnlySpan<T> y, int h, double[] sum, double[] sumSq)
    {
        var n = y.Length / h;
        for (var r = 0; r < n; r++)
        {
            var row = y.Slice(r * h, h);
            for (var j = 0; j < h; j++)
            {
                var v = double.CreateTruncating(row[j]);
                sum[j] += v;
                sumSq[j] += v * v;
            }
        }
    }

    /// <summary>
    /// Combines the pieces' Σy and Σy² of layer <paramref name="l"/> into the batch statistics and
    /// moves the running statistics (unbiased variance, as PyTorch).
    /// </summary>
    public void ReduceBatchStatistics(IReadOnlyList<LstmWorkspace<T>> pieces, int l)
    {
        int h = Options.Hidden;
        double n = (double)BatchRows * Options.Window, m = Options.BatchNormMomentum;
        for (var j = 0; j < h; j++)
        {
            double s = 0, ss = 0;
            foreach (var ws in pieces)
            {
                s += ws.SumA[l][j];
                ss += ws.SumB[l][j];
            }
            var mean = s / n;
            var variance = Math.Max(ss / n - mean * mean, 0);
            BatchMean[l][j] = mean;
            BatchInverseStd[l][j] = 1 / Math.Sqrt(variance + BatchNormEpsilon);
            RunningMean[l][j] = (1 - m) * RunningMean[l][j] + m * mean;
            RunningVariance[l][j] = (1 - m) * RunningVariance[l][j] + m * variance * (n > 1 ? n / (n - 1) : 1);
        }
        foreach (var ws in pieces)
        {
            Array.Clear(ws.SumA[l]);
            Array.Clear(ws.SumB[l]);
        }
    }

    /// <summary>Batch norm of layer <paramref name="l"/>'s output (batch statistics when training, running ones otherwise), then dropout, into the next layer's input.</summary>
    public void Normalise(LstmWorkspace<T> ws, int l, int rows, bool training, ulong stepSeed, int piece)
    {
        int w = Options.Window, h = Options.Hidden;
        var y = ws.HiddenStates[l].AsSpan(rows * h, w * rows * h);
        var xhat = ws.Normalised[l].AsSpan(0, w * rows * h);
        var next = ws.Inputs[l + 1].AsSpan(0, w * rows * h);
        var gamma = Parameters.AsSpan(Layout.Gamma[l], h);
        var beta = Parameters.AsSpan(Layout.Beta[l], h);
        Span<T> shift = stackalloc T[h];
        Span<T> scale = stackalloc T[h];
        for (var j = 0; j < h; j++)
        {
            var mean = training ? BatchMean[l][j] : RunningMean[l][j];
            var inv = training ? BatchInverseStd[l][j] : 1 / Math.Sqrt(RunningVariance[l][j] + BatchNormEpsilon);
            scale[j] = Of(inv);
            shift[j] = Of(-mean * inv);
        }
        for (var r = 0; r < w * rows; r++)
        {
            var yr = y.Slice(r * h, h);
            var xr = xhat.Slice(r * h, h);
            TensorPrimitives.FusedMultiplyAdd(yr, scale, shift, xr);
            TensorPrimitives.FusedMultiplyAdd(xr, gamma, beta, next.Slice(r * h, h));
        }
        if (training && ws.LayerMasks[l].Length > 0)
        {
            var mask = ws.LayerMasks[l].AsSpan(0, w * rows * h);
            var rng = Stream(stepSeed, piece, l);
            DrawMask(mask, Options.Dropout, ref rng);
            TensorPrimitives.Multiply(next, mask, next);
        }
    }

    /// <summary>
    /// The head on the last step of the top sequence: output dropout, the optional dense ReLU layer
    /// with (alpha) dropout, and the output layer, into <see cref="LstmWorkspace{T}.Output"/>
    /// (raw scores; see <see cref="Activate"/>).
    /// </summary>
    public void ForwardHead(LstmWorkspace<T> ws, int rows, bool training, ulong stepSeed, int piece)
    {
        int w = Options.Window, h = Options.Hidden, d = Options.DenseUnits, o = Options.Outputs;
        var p = Parameters.AsSpan();
        var top = ws.Inputs[Options.Layers].AsSpan((w - 1) * rows * h, rows * h);
        var input = ws.HeadInput.AsSpan(0, rows * h);
        if (training && Options.OutputDropout > 0)
        {
            var mask = ws.HeadInputMask.AsSpan(0, rows * h);
            var rng = Stream(stepSeed, piece, 1000);
            DrawMask(mask, Options.OutputDropout, ref rng);
            TensorPrimitives.Multiply(top, mask, input);
        }
        else
            top.CopyTo(input);

        ReadOnlySpan<T> last = input;
        var lastWidth = h;
        if (d > 0)
        {
            var pre = ws.DensePre.AsSpan(0, rows * d);
            var act = ws.DenseOut.AsSpan(0, rows * d);
            var bias = p.Slice(Layout.DenseBias, d);
            for (var r = 0; r < rows; r++)
                bias.CopyTo(pre.Slice(r * d, d));
            Gemm.Multiply<T>(false, false, rows, d, h, input, h, p.Slice(Layout.DenseWeights, h * d), d, pre, d, true, ws.Scratch);
            TensorPrimitives.Max(pre, T.Zero, act);
            if (training && Options.DenseDropout > 0)
            {
                var mask = ws.DenseMask.AsSpan(0, rows * d);
                var rng = Stream(stepSeed, piece, 1001);
                if (Options.AlphaDropout)
                {
                    // kept: a·x + b; dropped: a·α' + b; mask holds a for kept units and 0 for dropped ones
                    double q = Options.DenseDropout, a = 1 / Math.Sqrt((1 - q) * (1 + q * SeluAlphaPrime * SeluAlphaPrime));
                    double bShift = -a * SeluAlphaPrime * q;
                    T ta = Of(a), tb = Of(bShift), dropped = Of(a * SeluAlphaPrime + bShift);
                    for (var i = 0; i < act.Length; i++)
                    {
                        var keep = rng.Uniform() >= q;
                        mask[i] = keep ? ta : T.Zero;
                        act[i] = keep ? ta * act[i] + tb : dropped;
                    }
                }
                else
                {
                    DrawMask(mask, Options.DenseDropout, ref rng);
                    TensorPrimitives.Multiply(act, mask, act);
                }
            }
            last = act;
            lastWidth = d;
        }
        var output = ws.Output.AsSpan(0, rows * o);
        var ob = p.Slice(Layout.OutputBias, o);
        for (var r = 0; r < rows; r++)
            ob.CopyTo(output.Slice(r * o, o));
        Gemm.Multiply<T>(false, false, rows, o, lastWidth, last, lastWidth, p.Slice(Layout.OutputWeights, lastWidth * o), o, output, o, true, ws.Scratch);
    }

    /// <summary>
    /// The piece's loss summed over its rows (into <see cref="LstmWorkspace{T}.LossSum"/>) and the
    /// gradient of the batch-mean loss with respect to the raw outputs.
    /// </summary>
    public void Loss(LstmWorkspace<T> ws, int rows, bool gradient)
    {
        var o = Options.Outputs;
        var output = ws.Output.AsSpan(0, rows * o);
        var dz = gradient ? ws.OutputGradient.AsSpan(0, rows * o) : default;
        var scale = 1.0 / BatchRows;
        double sum = 0;
        for (var r = 0; r < rows; r++)
        {
            var y = double.CreateTruncating(ws.Targets[r]);
            switch (Options.Task)
            {
                case LstmTask.Regression:
                    {
                        var e = double.CreateTruncating(output[r]) - y;
                        sum += e * e;
                        if (gradient)
                            dz[r] = Of(2 * e * scale);
                        break;
                    }
                case LstmTask.Binary:
                    {
                        var z = double.CreateTruncating(output[r]);
                        sum += Math.Max(z, 0) - y * z + Math.Log(1 + Math.Exp(-Math.Abs(z)));
                        if (gradient)
                            dz[r] = Of((1 / (1 + Math.Exp(-z)) - y) * scale);
                        break;
                    }
                default:
                    {
                        var zr = output.Slice(r * o, o);
                        var max = double.NegativeInfinity;
                        for (var k = 0; k < o; k++)
                            max = Math.Max(max, double.CreateTruncating(zr[k]));
                        double total = 0;
                        for (var k = 0; k < o; k++)
                            total += Math.Exp(double.CreateTruncating(zr[k]) - max);
                        var label = (int)y;
                        sum += Math.Log(total) + max - double.CreateTruncating(zr[label]);
                        if (gradient)
                            for (var k = 0; k < o; k++)
                            {
                                var pk = Math.Exp(double.CreateTruncating(zr[k]) - max) / total;
                                dz[r * o + k] = Of((pk - (k == label ? 1 : 0)) * scale);
                            }
                        break;
                    }
            }
        }
        ws.LossSum = sum;
    }

    /// <summary>Turns raw outputs into predictions: identity, σ, or softmax per row.</summary>
    public void Activate(ReadOnlySpan<T> raw, Span<double> prediction, int rows)
    {
        var o = Options.Outputs;
        for (var r = 0; r < rows; r++)
        {
            switch (Options.Task)
            {
                case LstmTask.Regression:
                    prediction[r] = double.CreateTruncating(raw[r]);
                    break;
                case LstmTask.Binary:
                    prediction[r] = 1 / (1 + Math.Exp(-double.CreateTruncating(raw[r])));
                    break;
                default:
                    {
                        var max = double.NegativeInfinity;
                        for (var k = 0; k < o; k++)
                            max = Math.Max(max, double.CreateTruncating(raw[r * o + k]));
                        double total = 0;
                        for (var k = 0; k < o; k++)
                            total += prediction[r * o + k] = Math.Exp(double.CreateTruncating(raw[r * o + k]) - max);
                        for (var k = 0; k < o; k++)
                            prediction[r * o + k] /= total;
                        break;
                    }
            }
        }
    }

    /// <summary>Backward through the head into the gradient of the top sequence (non-zero at the last step only).</summary>
    public void BackwardHead(LstmWorkspace<T> ws, int rows)
    {
        int w = Options.Window, h = Options.Hidden, d = Options.DenseUnits, o = Options.Outputs;
        var p = Parameters.AsSpan();
        var grad = ws.Gradient.AsSpan();
        var dz = ws.OutputGradient.AsSpan(0, rows * o);
        var input = ws.HeadInput.AsSpan(0, rows * h);
        var lastWidth = d > 0 ? d : h;
        ReadOnlySpan<T> last = d > 0 ? ws.DenseOut.AsSpan(0, rows * d) : input;
        Gemm.Multiply<T>(true, false, lastWidth, o, rows, last, lastWidth, dz, o, grad.Slice(Layout.OutputWeights, lastWidth * o), o, true, ws.Scratch);
        ColumnSums(dz, o, grad.Slice(Layout.OutputBias, o));
        var dInput = ws.HeadInputGradient.AsSpan(0, rows * h);
        if (d > 0)
        {
            var dAct = ws.DenseGradient.AsSpan(0, rows * d);
            Gemm.Multiply<T>(false, true, rows, d, o, dz, o, p.Slice(Layout.OutputWeights, d * o), o, dAct, d, false, ws.Scratch);
            if (Options.DenseDropout > 0)
                TensorPrimitives.Multiply(dAct, ws.DenseMask.AsSpan(0, rows * d), dAct);
            var pre = ws.DensePre.AsSpan(0, rows * d);
            for (var i = 0; i < dAct.Length; i++)
                if (pre[i] <= T.Zero)
                    dAct[i] = T.Zero;
            Gemm.Multiply<T>(true, false, h, d, rows, input, h, dAct, d, grad.Slice(Layout.DenseWeights, h * d), d, true, ws.Scratch);
            ColumnSums(dAct, d, grad.Slice(Layout.DenseBias, d));
            Gemm.Multiply<T>(false, true, rows, h, d, dAct, d, p.Slice(Layout.DenseWeights, h * d), d, dInput, h, false, ws.Scratch);
        }
        else
            Gemm.Multiply<T>(false, true, rows, h, o, dz, o, p.Slice(Layout.OutputWeights, h * o), o, dInput, h, false, ws.Scratch);
        if (Options.OutputDropout > 0)
            TensorPrimitives.Multiply(dInput, ws.HeadInputMask.AsSpan(0, rows * h), dInput);
        var dTop = TopGradient(ws).AsSpan(0, w * rows * h);
        dTop[..((w - 1) * rows * h)].Clear();
        dInput.CopyTo(dTop[((w - 1) * rows * h)..]);
    }

    // the gradient buffers alternate by layer so each layer reads its output gradient from one and
    // writes its input gradient into the other
    private T[] OutputGradientOf(LstmWorkspace<T> ws, int l) => ((Options.Layers - 1 - l) & 1) == 0 ? ws.GradientA : ws.GradientB;

    private T[] TopGradient(LstmWorkspace<T> ws) => OutputGradientOf(ws, Options.Layers - 1);

    private static void ColumnSums(ReadOnlySpan<T> m, int columns, Span<T> into)
    {
        var n = m.Length / columns;
        for (var r = 0; r < n; r++)
            TensorPrimitives.Add(into, m.Slice(r * columns, columns), into);
    }

    /// <summary>
    /// Batch-norm layers, first backward phase: the gradient with respect to the normalised output
    /// (dropout undone), with Σdu and Σdu·x̂ added to the piece's sums and to its β and γ gradients.
    /// </summary>
    public void BatchNormBackwardSums(LstmWorkspace<T> ws, int l, int rows)
    {
        int w = Options.Window, h = Options.Hidden;
        var du = OutputGradientOf(ws, l).AsSpan(0, w * rows * h);
        if (ws.LayerMasks[l].Length > 0)
            TensorPrimitives.Multiply(du, ws.LayerMasks[l].AsSpan(0, w * rows * h), du);
        var xhat = ws.Normalised[l].AsSpan(0, w * rows * h);
        double[] s1 = ws.SumA[l], s2 = ws.SumB[l];
        for (var r = 0; r < w * rows; r++)
        {
            var ur = du.Slice(r * h, h);
            var xr = xhat.Slice(r * h, h);
            for (var j = 0; j < h; j++)
            {
                var u = double.CreateTruncating(ur[j]);
                s1[j] += u;
                s2[j] += u * double.CreateTruncating(xr[j]);
            }
        }
        var grad = ws.Gradient.AsSpan();
        for (var j = 0; j < h; j++)
        {
            grad[Layout.Beta[l] + j] += Of(s1[j]);
            grad[Layout.Gamma[l] + j] += Of(s2[j]);
        }
    }

    /// <summary>Combines the pieces' backward batch-norm sums of layer <paramref name="l"/> (into the first piece's).</summary>
    public static void ReduceBackwardSums(IReadOnlyList<LstmWorkspace<T>> pieces, int l)
    {
        for (var k = 1; k < pieces.Count; k++)
        {
            for (var j = 0; j < pieces[0].SumA[l].Length; j++)
            {
                pieces[0].SumA[l][j] += pieces[k].SumA[l][j];
                pieces[0].SumB[l][j] += pieces[k].SumB[l][j];
            }
        }
    }

    /// <summary>
    /// Backpropagation through time of layer <paramref name="l"/> for the piece, from the gradient of
    /// its output sequence: weight and bias gradients added to the piece's gradient, and the
    /// gradient of its input sequence written for the layer below. With batch norm,
    /// <paramref name="totals"/> is the piece holding the whole batch's Σdu and Σdu·x̂.
    /// </summary>
    public void BackwardLayer(LstmWorkspace<T> ws, int l, int rows, LstmWorkspace<T>? totals)
    {
        int w = Options.Window, h = Options.Hidden, g4 = 4 * h;
        var inputs = l == 0 ? Options.Features : h;
        var dy = OutputGradientOf(ws, l).AsSpan(0, w * rows * h);
        if (Options.BatchNorm)
        {
            // dy = γ/σ · (du − Σdu/N − x̂ · Σdu·x̂/N)
            var xhat = ws.Normalised[l].AsSpan(0, w * rows * h);
            var n = (double)BatchRows * w;
            Span<T> a = stackalloc T[h];
            Span<T> m1 = stackalloc T[h];
            Span<T> m2 = stackalloc T[h];
            for (var j = 0; j < h; j++)
            {
                a[j] = Of(double.CreateTruncating(Parameters[Layout.Gamma[l] + j]) * BatchInverseStd[l][j]);
                m1[j] = Of(-totals!.SumA[l][j] / n);
                m2[j] = Of(-totals.SumB[l][j] / n);
            }
            for (var r = 0; r < w * rows; r++)
            {
                var dr = dy.Slice(r * h, h);
                TensorPrimitives.Add(dr, m1, dr);
                TensorPrimitives.FusedMultiplyAdd(xhat.Slice(r * h, h), m2, dr, dr);
                TensorPrimitives.Multiply(dr, a, dr);
            }
        }
        else if (ws.LayerMasks[l].Length > 0)
            TensorPrimitives.Multiply(dy, ws.LayerMasks[l].AsSpan(0, w * rows * h), dy);

        var gates = ws.Gates[l].AsSpan(0, w * rows * g4);
        var cs = ws.CellStates[l].AsSpan(0, (w + 1) * rows * h);
        var tc = ws.CellTanh[l].AsSpan(0, w * rows * h);
        var dh = ws.HiddenGradient.AsSpan(0, rows * h);
        var dc = ws.CellGradient.AsSpan(0, rows * h);
        dh.Clear();
        dc.Clear();
        var p = Parameters.AsSpan();
        var whT = RecurrentTransposed[l];
        for (var t = w - 1; t >= 0; t--)
        {
            var z = gates.Slice(t * rows * g4, rows * g4);
            CellBackward(z, cs.Slice(t * rows * h, rows * h), tc.Slice(t * rows * h, rows * h),
                dy.Slice(t * rows * h, rows * h), dh, dc, rows, h);
            if (t > 0)
                Gemm.Multiply<T>(false, false, rows, h, g4, z, g4, whT, h, dh, h, false, ws.Scratch);
        }
        var grad = ws.Gradient.AsSpan();
        var hs = ws.HiddenStates[l].AsSpan(0, w * rows * h);
        Gemm.Multiply<T>(true, false, h, g4, w * rows, hs, h, gates, g4, grad.Slice(Layout.RecurrentWeights[l], h * g4), g4, true, ws.Scratch);
        var x = ws.Inputs[l].AsSpan(0, w * rows * inputs);
        Gemm.Multiply<T>(true, false, inputs, g4, w * rows, x, inputs, gates, g4, grad.Slice(Layout.InputWeights[l], inputs * g4), g4, true, ws.Scratch);
        ColumnSums(gates, g4, grad.Slice(Layout.Bias[l], g4));
        if (l > 0)
        {
            var dx = OutputGradientOf(ws, l - 1).AsSpan(0, w * rows * h);
            Gemm.Multiply<T>(false, true, w * rows, h, g4, gates, g4, p.Slice(Layout.InputWeights[l], h * g4), g4, dx, h, false, ws.Scratch);
        }
    }

    // one step back: dh (in: gradient from the next step's recurrent product) and dc carry over;
    // z's activations are replaced by the pre-activation gradients di, df, dg, do
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CellBackward(Span<T> z, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> cTanh, ReadOnlySpan<T> dyt, Span<T> dh, Span<T> dc, int rows, int h)
    {
        var g4 = 4 * h;
        var one = T.One;
        for (var r = 0; r < rows; r++)
        {
            var zr = z.Slice(r * g4, g4);
            var i = zr[..h];
            var f = zr.Slice(h, h);
            var g = zr.Slice(2 * h, h);
            var o = zr.Slice(3 * h, h);
            var cp = cPrev.Slice(r * h, h);
            var ct = cTanh.Slice(r * h, h);
            var dyr = dyt.Slice(r * h, h);
            var dhr = dh.Slice(r * h, h);
            var dcr = dc.Slice(r * h, h);
            var j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vOne = Vector256<T>.One;
                for (; j <= h - Vector256<T>.Count; j += Vector256<T>.Count)
                {
                    var vh = Vector256.Create<T>(dyr[j..]) + Vector256.Create<T>(dhr[j..]);
                    var vo = Vector256.Create<T>(o[j..]);
                    var vt = Vector256.Create<T>(ct[j..]);
                    var vi = Vector256.Create<T>(i[j..]);
                    var vf = Vector256.Create<T>(f[j..]);
                    var vg = Vector256.Create<T>(g[j..]);
                    var vdo = vh * vt * vo * (vOne - vo);
                    var vdc = vh * vo * (vOne - vt * vt) + Vector256.Create<T>(dcr[j..]);
                    var vdi = vdc * vg * vi * (vOne - vi);
                    var vdf = vdc * Vector256.Create<T>(cp[j..]) * vf * (vOne - vf);
                    var vdg = vdc * vi * (vOne - vg * vg);
                    (vdc * vf).CopyTo(dcr[j..]);
                    vdi.CopyTo(i[j..]);
                    vdf.CopyTo(f[j..]);
                    vdg.CopyTo(g[j..]);
                    vdo.CopyTo(o[j..]);
                }
            }
            for (; j < h; j++)
            {
                var dhv = dyr[j] + dhr[j];
                T ov = o[j], tv = ct[j], iv = i[j], fv = f[j], gv = g[j];
                var dcv = dhv * ov * (one - tv * tv) + dcr[j];
                o[j] = dhv * tv * ov * (one - ov);
                i[j] = dcv * gv * iv * (one - iv);
                f[j] = dcv * cp[j] * fv * (one - fv);
                g[j] = dcv * iv * (one - gv * gv);
                dcr[j] = dcv * fv;
            }
        }
    }
}
