using System.Numerics;
using StrategyLab.Runtime.Data.Synthetic;

namespace StrategyLab.Runtime.Models.Lstm;

/// <summary>One epoch of training as it is reported.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Steps">Optimizer steps taken so far.</param>
/// <param name="TrainLoss">Mean of the epoch's mini-batch losses, in training mode (with dropout).</param>
/// <param name="ValidationLoss">Loss on the validation slice in inference mode, or NaN without one.</param>
/// <param name="LearningRate">Learning rate of the epoch's last step.</param>
public sealed record LstmEpoch(int Epoch, long Steps, double TrainLoss, double ValidationLoss, double LearningRate);

/// <summary>How training went: every epoch, the epoch whose weights were kept, and whether early stopping ended it.</summary>
public sealed record LstmTrainingReport(IReadOnlyList<LstmEpoch> Epochs, int BestEpoch, bool StoppedEarly);

/// <summary>
/// Mini-batch training of an <see cref="LstmNetwork{T}"/>: each batch is split into
/// <see cref="LstmOptions.BatchShards"/> pieces whose forward and backward passes run in parallel
/// and whose gradients are summed in piece order; then global-norm clipping and an Adam step
/// (Kingma and Ba 2015, with PyTorch's arrangement of the bias corrections).
/// </summary>
internal sealed class LstmTrainer<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private const int InferenceChunk = 256;

    private readonly LstmNetwork<T> _net;
    private readonly LstmOptions _o;
    private readonly int _threads;
    private readonly LstmWorkspace<T>[] _pieces;
    private readonly int[] _pieceStart;
    private LstmWorkspace<T>[]? _inference;
    private readonly T[] _m;
    private readonly T[] _v;
    private long _step;

    public LstmTrainer(LstmNetwork<T> net, int threads)
    {
        _net = net;
        _o = net.Options;
        _threads = Math.Max(1, threads);
        var shards = Math.Min(_o.BatchShards, _o.BatchSize);
        _pieces = new LstmWorkspace<T>[shards];
        _pieceStart = new int[shards + 1];
        for (var s = 0; s < shards; s++)
            _pieces[s] = new LstmWorkspace<T>(_o, net.Layout.Count, (_o.BatchSize + shards - 1) / shards, training: true);
        _m = new T[net.Layout.Count];
        _v = new T[net.Layout.Count];
    }

    /// <summary>The summed gradient of the last <see cref="ComputeGradient"/> call.</summary>
    public T[] Gradient => _pieces[0].Gradient;

    private void RunPieces(int count, Action<int> body)
    {
        if (_threads == 1 || count == 1)
        {
            for (var s = 0; s < count; s++)
                body(s);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = _threads }, body);
    }

    /// <summary>
    /// Forward and backward pass over the batch <paramref name="batch"/> (indices of sequences);
    /// leaves the gradient of the batch-mean loss in <see cref="Gradient"/> and returns that loss.
    /// </summary>
    public unsafe double ComputeGradient(double* sequences, int sequenceValues, double* targets, int count, int[] batch, int batchStart, int batchCount, ulong stepSeed)
    {
        var pieces = _pieces;
        var n = pieces.Length;
        for (var s = 0; s <= n; s++)
            _pieceStart[s] = batchStart + (int)((long)batchCount * s / n);
        _net.BatchRows = batchCount;
        _net.PrepareBackward();
        nint xs = (nint)sequences, ys = (nint)targets;
        var layers = _o.Layers;
        int Rows(int s) => _pieceStart[s + 1] - _pieceStart[s];
        void Begin(int s)
        {
            var ws = pieces[s];
            Array.Clear(ws.Gradient);
            _net.Gather(ws, new ReadOnlySpan<double>((void*)xs, sequenceValues), new ReadOnlySpan<double>((void*)ys, count),
                batch.AsSpan(_pieceStart[s], Rows(s)));
        }
        if (!_o.BatchNorm)
        {
            RunPieces(n, s =>
            {
                var rows = Rows(s);
                var ws = pieces[s];
                Begin(s);
                if (rows == 0)
                    return;
                for (var l = 0; l < layers; l++)
                    _net.ForwardLayer(ws, l, rows, true, stepSeed, s);
                _net.ForwardHead(ws, rows, true, stepSeed, s);
                _net.Loss(ws, rows, gradient: true);
                _net.BackwardHead(ws, rows);
                for (var l = layers - 1; l >= 0; l--)
                    _net.BackwardLayer(ws, l, rows, null);
            });
        }
        else
        {
            for (var l = 0; l < layers; l++)
            {
                var layer = l;
                RunPieces(n, s =>
                {
                    if (layer == 0)
                        Begin(s);
                    if (Rows(s) > 0)
                        _net.ForwardLayer(pieces[s], layer, Rows(s), true, stepSeed, s);
                });
                _net.ReduceBatchStatistics(pieces, layer);
                RunPieces(n, s =>
                {
                    if (Rows(s) > 0)
                        _net.Normalise(pieces[s], layer, Rows(s), true, stepSeed, s);
                });
            }
            RunPieces(n, s =>
            {
                var ws = pieces[s];
                ws.LossSum = 0;
                if (Rows(s) == 0)
                    return;
                _net.ForwardHead(ws, Rows(s), true, stepSeed, s);
                _net.Loss(ws, Rows(s), gradient: true);
                _net.BackwardHead(ws, Rows(s));
            });
            for (var l = layers - 1; l >= 0; l--)
            {
                var layer = l;
                RunPieces(n, s =>
                {
                    if (Rows(s) > 0)
                        _net.BatchNormBackwardSums(pieces[s], layer, Rows(s));
                });
                LstmNetwork<T>.ReduceBackwardSums(pieces, layer);
                RunPieces(n, s =>
                {
                    if (Rows(s) > 0)
                        _net.BackwardLayer(pieces[s], layer, Rows(s), pieces[0]);
                });
                foreach (var ws in pieces)
                {
                    Array.Clear(ws.SumA[layer]);
                    Array.Clear(ws.SumB[layer]);
                }
            }
        }
        double loss = 0;
        var total = pieces[0].Gradient.AsSpan();
        for (var s = 0; s < n; s++)
        {
            if (Rows(s) == 0)
                continue;
            loss += pieces[s].LossSum;
            if (s > 0)
                System.Numerics.Tensors.TensorPrimitives.Add(total, pieces[s].Gradient, total);
        }
        return loss / batchCount;
    }

    /// <summary><see cref="ComputeGradient(double*, int, double*, int, int[], int, int, ulong)"/> over a whole batch held in arrays.</summary>
    public unsafe double ComputeGradient(double[] sequences, double[] targets, int[] batch, ulong stepSeed)
    {
        fixed (double* x = sequences, y = targets)
            return ComputeGradient(x, sequences.Length, y, targets.Length, batch, 0, batch.Length, stepSeed);
    }

    /// <summary>Scales the gradient down to <paramref name="maxNorm"/> when its global L2 norm is larger (PyTorch's clip_grad_norm_).</summary>
    public void ClipGradient(double maxNorm)
    {
        var g = Gradient;
        double sum = 0;
        foreach (var x in g)
        {
            var d = double.CreateTruncating(x);
            sum += d * d;
        }
        var norm = Math.Sqrt(sum);
        if (norm <= maxNorm)
            return;
        System.Numerics.Tensors.TensorPrimitives.Multiply(g, T.CreateTruncating(maxNorm / (norm + 1e-6)), g);
    }

    /// <summary>One Adam step with learning rate <paramref name="lr"/> from <see cref="Gradient"/>.</summary>
    public void AdamStep(double lr)
    {
        _step++;
        var p = _net.Parameters;
        var g = Gradient;
        double b1 = _o.Beta1, b2 = _o.Beta2, wd = _o.WeightDecay;
        var bc1 = 1 - Math.Pow(b1, _step);
        var bc2 = 1 - Math.Pow(b2, _step);
        T tb1 = T.CreateTruncating(b1), tb1c = T.CreateTruncating(1 - b1), tb2 = T.CreateTruncating(b2), tb2c = T.CreateTruncating(1 - b2);
        T stepSize = T.CreateTruncating(lr / bc1), invSqrtBc2 = T.CreateTruncating(1 / Math.Sqrt(bc2)), eps = T.CreateTruncating(_o.Epsilon);
        T l2 = T.CreateTruncating(_o.WeightDecayMode == WeightDecayMode.L2 ? wd : 0);
        T shrink = T.CreateTruncating(_o.WeightDecayMode == WeightDecayMode.Decoupled ? 1 - lr * wd : 1);
        for (var i = 0; i < p.Length; i++)
        {
            var gi = g[i] + l2 * p[i];
            var mi = _m[i] = tb1 * _m[i] + tb1c * gi;
            var vi = _v[i] = tb2 * _v[i] + tb2c * gi * gi;
            p[i] = p[i] * shrink - stepSize * mi / (T.Sqrt(vi) * invSqrtBc2 + eps);
        }
    }

    private LstmWorkspace<T>[] InferenceWorkspaces()
        => _inference ??= Enumerable.Range(0, _threads).Select(_ => new LstmWorkspace<T>(_o, 0, InferenceChunk, training: false)).ToArray();

    /// <summary>
    /// Inference-mode pass over sequences [first, first + count): raw outputs into
    /// <paramref name="raw"/> (count × outputs) and, with targets, the summed loss returned.
    /// </summary>
    public unsafe double Infer(double* sequences, int sequenceValues, double* targets, int targetCount, int first, int count, T* raw)
    {
        var workspaces = InferenceWorkspaces();
        var chunks = (count + InferenceChunk - 1) / InferenceChunk;
        var losses = new double[chunks];
        nint xs = (nint)sequences, ys = (nint)targets, outs = (nint)raw;
        var outputs = _o.Outputs;
        void Work(int worker)
        {
            var ws = workspaces[worker];
            Span<int> index = stackalloc int[InferenceChunk];
            for (var c = worker; c < chunks; c += workspaces.Length)
            {
                var start = c * InferenceChunk;
                var rows = Math.Min(InferenceChunk, count - start);
                for (var r = 0; r < rows; r++)
                    index[r] = first + start + r;
                _net.Gather(ws, new ReadOnlySpan<double>((void*)xs, sequenceValues),
                    ys == 0 ? default : new ReadOnlySpan<double>((void*)ys, targetCount), index[..rows]);
                for (var l = 0; l < _o.Layers; l++)
                {
                    _net.ForwardLayer(ws, l, rows, false, 0, 0);
                    if (_o.BatchNorm)
                        _net.Normalise(ws, l, rows, false, 0, 0);
                }
                _net.ForwardHead(ws, rows, false, 0, 0);
                if (ys != 0)
                {
                    _net.Loss(ws, rows, gradient: false);
                    losses[c] = ws.LossSum;
                }
                ws.Output.AsSpan(0, rows * outputs).CopyTo(new Span<T>((T*)outs + start * outputs, rows * outputs));
            }
        }
        if (workspaces.Length == 1 || chunks == 1)
            Work(0);
        else
            Parallel.For(0, workspaces.Length, new ParallelOptions { MaxDegreeOfParallelism = _threads }, Work);
        double sum = 0;
        foreach (var l in losses)
            sum += l;
        return sum;
    }

    private static ulong StepSeed(ulong seed, long step)
    {
        var r = new SplitMix64(seed ^ 0xA0761D6478BD642FUL ^ (ulong)step * 0xE7037ED1A0B428DBUL);
        return r.Next();
    }

    /// <summary>The learning rate of optimizer step <paramref name="step"/> (0-based) in epoch <paramref name="epoch"/> (0-based).</summary>
    public static double LearningRate(LstmOptions o, long step, int epoch, long totalSteps) => o.Schedule switch
    {
        LearningRateSchedule.Step => o.LearningRate * Math.Pow(o.StepGamma, epoch / o.StepEpochs),
        LearningRateSchedule.Cosine => o.MinLearningRate + (o.LearningRate - o.MinLearningRate) * (1 + Math.Cos(Math.PI * step / totalSteps)) / 2,
        _ => o.LearningRate,
    };

    /// <summary>
    /// Trains on <paramref name="count"/> sequences: the last <see cref="LstmOptions.ValidationFraction"/>
    /// of them are held out for early stopping, the rest are shuffled every epoch and cut into mini-batches.
    /// </summary>
    public unsafe LstmTrainingReport Fit(double* sequences, double* targets, int count, IProgress<LstmEpoch>? progress, CancellationToken cancel)
    {
        var values = count * _o.Window * _o.Features;
        var validation = (int)(count * _o.ValidationFraction);
        var train = count - validation;
        if (train < 1)
            throw new ArgumentException($"no training sequences left after holding out {validation} for validation");
        var index = new int[train];
        for (var i = 0; i < train; i++)
            index[i] = i;
        var shuffle = new SplitMix64(_o.Seed ^ 0x5851F42D4C957F2DUL);
        var stepsPerEpoch = (train + _o.BatchSize - 1) / _o.BatchSize;
        long totalSteps = _o.Steps > 0 ? _o.Steps : (long)_o.Epochs * stepsPerEpoch;
        var epochs = new List<LstmEpoch>();
        var best = double.PositiveInfinity;
        var bestEpoch = 0;
        var sinceBest = 0;
        var stoppedEarly = false;
        T[]? bestParameters = null;
        double[][]? bestMean = null, bestVariance = null;
        var raw = validation > 0 ? new T[validation * _o.Outputs] : [];
        var epoch = 0;
        while (_step < totalSteps)
        {
            for (var i = train - 1; i > 0; i--)
            {
                var j = (int)(shuffle.Next() % (ulong)(i + 1));
                (index[i], index[j]) = (index[j], index[i]);
            }
            double lossSum = 0;
            var batches = 0;
            var lr = _o.LearningRate;
            for (var start = 0; start < train && _step < totalSteps; start += _o.BatchSize)
            {
                cancel.ThrowIfCancellationRequested();
                var size = Math.Min(_o.BatchSize, train - start);
                lr = LearningRate(_o, _step, epoch, totalSteps);
                lossSum += ComputeGradient(sequences, values, targets, count, index, start, size, StepSeed(_o.Seed, _step));
                if (_o.ClipNorm > 0)
                    ClipGradient(_o.ClipNorm);
                AdamStep(lr);
                batches++;
            }
            epoch++;
            var validationLoss = double.NaN;
            if (validation > 0)
            {
                fixed (T* r = raw)
                    validationLoss = Infer(sequences, values, targets, count, train, validation, r) / validation;
                if (validationLoss < best - _o.MinDelta)
                {
                    best = validationLoss;
                    bestEpoch = epoch;
                    sinceBest = 0;
                    bestParameters = (T[])_net.Parameters.Clone();
                    bestMean = _net.RunningMean.Select(a => (double[])a.Clone()).ToArray();
                    bestVariance = _net.RunningVariance.Select(a => (double[])a.Clone()).ToArray();
                }
                else
                    sinceBest++;
            }
            else
                bestEpoch = epoch;
            var report = new LstmEpoch(epoch, _step, lossSum / batches, validationLoss, lr);
            epochs.Add(report);
            progress?.Report(report);
            if (validation > 0 && sinceBest >= _o.Patience && _step < totalSteps)
            {
                stoppedEarly = true;
                break;
            }
        }
        if (bestParameters is not null)
        {
            bestParameters.CopyTo(_net.Parameters, 0);
            for (var l = 0; l < _o.Layers; l++)
            {
                bestMean![l].CopyTo(_net.RunningMean[l], 0);
                bestVariance![l].CopyTo(_net.RunningVariance[l], 0);
            }
        }
        return new LstmTrainingReport(epochs, bestEpoch, stoppedEarly);
    }
}
