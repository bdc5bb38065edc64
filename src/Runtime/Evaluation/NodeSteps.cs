using System.Numerics;
using StrategyLab.Runtime.Compute;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Evaluation;

/// <summary>
/// One node of a plan under evaluation: it fills <see cref="Block"/> with its values for a block of
/// consecutive bars, [rows × asset], reading its inputs' blocks of the same bars. Stateful steps
/// carry their state from one block to the next, so any split of the history into blocks gives the
/// same numbers.
/// </summary>
internal abstract class NodeStep(int capacity)
{
    private double[]? _block;

    /// <summary>Values of the last block evaluated; the first rows × assets entries are valid.</summary>
    public virtual double[] Block => _block ??= new double[capacity];

    /// <summary>The first <paramref name="count"/> values of the last block evaluated (rows × assets), as steps read them.</summary>
    public virtual ReadOnlySpan<double> Values(int count) => Block.AsSpan(0, count);

    /// <summary>Evaluates bars <paramref name="start"/> .. start + rows − 1 (blocks come in order).</summary>
    public abstract void Run(int start, int rows);

    /// <summary>
    /// Makes the next runs write their values into <paramref name="block"/> (at least the capacity long), so that a
    /// reader on another thread can keep a block while the next one is evaluated; false for a step that does not
    /// write its block at every run (a constant, a data column read in place, a whole-history label).
    /// </summary>
    public virtual bool WriteInto(double[] block)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(block.Length, capacity, nameof(block));
        _block = block;
        return true;
    }
}

/// <summary>A data column: steps read the panel's values in place; a block array is filled only when asked for.</summary>
internal sealed class ColumnStep(Panel panel, string column, int capacity) : NodeStep(capacity)
{
    private int _start;
    private int _rows;
    private bool _copied;

    public override double[] Block
    {
        get
        {
            var block = base.Block;
            if (!_copied)
                Values(_rows * panel.AssetCount).CopyTo(block);
            _copied = true;
            return block;
        }
    }

    public override ReadOnlySpan<double> Values(int count) => panel.Column(column).Slice(_start * panel.AssetCount, count);

    public override void Run(int start, int rows) => (_start, _rows, _copied) = (start, rows, false);

    public override bool WriteInto(double[] block) => false;
}

/// <summary>A series computed before the evaluation (a model's out-of-sample predictions), copied block by block.</summary>
internal sealed class PrecomputedStep(double[] values, int assets, int capacity) : NodeStep(capacity)
{
    public override void Run(int start, int rows) => values.AsSpan(start * assets, rows * assets).CopyTo(Block);
}

/// <summary>A scalar broadcast to every bar and asset.</summary>
internal sealed class ConstantStep : NodeStep
{
    public ConstantStep(double value, int capacity)
        : base(capacity) => Block.AsSpan().Fill(value);

    public override void Run(int start, int rows)
    {
    }

    public override bool WriteInto(double[] block) => false;
}

/// <summary>An element-wise function of one series: NaN in, NaN out.</summary>
internal sealed class UnaryStep<TOp>(NodeStep x, int assets, int capacity) : NodeStep(capacity)
    where TOp : struct, IUnaryOp
{
    public override void Run(int start, int rows)
    {
        var input = x.Values(rows * assets);
        var output = Block.AsSpan(0, input.Length);
        for (var i = 0; i < input.Length; i++)
        {
            var v = input[i];
            output[i] = double.IsNaN(v) ? double.NaN : TOp.Apply(v);
        }
    }
}

/// <summary>
/// An element-wise function of two series, NaN where either is NaN; a vector of values at a time
/// where the operation has a vector form (arithmetic and comparisons, which round as the scalar form does).
/// </summary>
internal sealed class BinaryStep<TOp>(NodeStep x, NodeStep y, int assets, int capacity) : NodeStep(capacity)
    where TOp : struct, IBinaryOp
{
    public override void Run(int start, int rows)
    {
        var n = rows * assets;
        var left = x.Values(n);
        var right = y.Values(n);
        var output = Block.AsSpan(0, n);
        var i = 0;
        if (TOp.Vectorised && Vector.IsHardwareAccelerated)
        {
            var missing = new Vector<double>(double.NaN);
            for (; i <= n - Vector<double>.Count; i += Vector<double>.Count)
            {
                var u = new Vector<double>(left[i..]);
                var v = new Vector<double>(right[i..]);
                var priced = Vector.Equals(u, u) & Vector.Equals(v, v);
                Vector.ConditionalSelect(priced, TOp.Apply(u, v), missing).CopyTo(output[i..]);
            }
        }
        for (; i < n; i++)
        {
            double u = left[i], v = right[i];
            output[i] = double.IsNaN(u) || double.IsNaN(v) ? double.NaN : TOp.Apply(u, v);
        }
    }
}

/// <summary><c>if c then x else y</c>: NaN where the condition is NaN.</summary>
internal sealed class SelectStep(NodeStep condition, NodeStep then, NodeStep otherwise, int assets, int capacity) : NodeStep(capacity)
{
    public override void Run(int start, int rows)
    {
        var n = rows * assets;
        var c = condition.Values(n);
        var x = then.Values(n);
        var y = otherwise.Values(n);
        var output = Block.AsSpan(0, n);
        for (var i = 0; i < n; i++)
            output[i] = double.IsNaN(c[i]) ? double.NaN : c[i] != 0 ? x[i] : y[i];
    }
}

/// <summary><c>clip(x, lo, hi)</c> and <c>fill_nan(x, v)</c>: element-wise with scalar arguments.</summary>
internal sealed class ScalarArgumentStep(NodeStep x, bool fill, double first, double second, int assets, int capacity) : NodeStep(capacity)
{
    public override void Run(int start, int rows)
    {
        var input = x.Values(rows * assets);
        var output = Block.AsSpan(0, input.Length);
        for (var i = 0; i < input.Length; i++)
        {
            var v = input[i];
            output[i] = fill ? (double.IsNaN(v) ? first : v)
                : double.IsNaN(v) ? double.NaN : Math.Clamp(v, first, second);
        }
    }
}

/// <summary>
/// A stateful operator run through its incremental form, one row at a time: the batch kernels do
/// exactly this, so block evaluation equals them bit for bit. <paramref name="output"/> picks one
/// output of a multi-output operator (MACD's signal line, a Bollinger band).
/// </summary>
internal sealed class IndicatorStep : NodeStep
{
    private readonly IIncrementalIndicator _indicator;
    private readonly NodeStep[] _inputs;
    private readonly int _output;
    private readonly Panel _panel;
    private readonly double[] _inRows;
    private readonly double[] _outRows;

    public IndicatorStep(IIncrementalIndicator indicator, NodeStep[] inputs, int output, Panel panel, int capacity)
        : base(capacity)
    {
        _indicator = indicator;
        _inputs = inputs;
        _output = output;
        _panel = panel;
        _inRows = new double[inputs.Length * panel.AssetCount];
        _outRows = new double[indicator.OutputCount * panel.AssetCount];
    }

    public override void Run(int start, int rows)
    {
        var a = _panel.AssetCount;
        var times = _panel.Times;
        if (_inputs.Length == 1 && _indicator.OutputCount == 1 && _indicator is IncrementalIndicator blockwise)
        {
            // one input, one output: the block goes to the operator whole, so it can run its own block kernel
            blockwise.UpdateBlock(times.Slice(start, rows), _inputs[0].Values(rows * a), Block.AsSpan(0, rows * a));
            return;
        }
        for (var t = 0; t < rows; t++)
        {
            var at = t * a;
            for (var k = 0; k < _inputs.Length; k++)
                _inputs[k].Values(at + a)[at..].CopyTo(_inRows.AsSpan(k * a, a));
            _indicator.Update(times[start + t], _inRows, _outRows);
            _outRows.AsSpan(_output * a, a).CopyTo(Block.AsSpan(at, a));
        }
    }
}

/// <summary>
/// A forward-looking label kernel: it reads bars after the one it labels, so it has no incremental
/// form and needs the whole history in one block.
/// </summary>
internal sealed class ForwardStep(NodeStep x, ForwardStep.Kernel kernel, int horizon, int assets, int bars, string what) : NodeStep(bars * assets)
{
    public delegate void Kernel(ReadOnlySpan<double> input, Span<double> output, int assetCount, int horizon);

    public override void Run(int start, int rows)
    {
        if (start != 0 || rows != bars)
            throw new PlanException($"{what} looks ahead, so it can only be evaluated over the whole history at once (labels are for training and evaluation, never for trading)");
        kernel(x.Block, Block, assets, horizon);
    }

    public override bool WriteInto(double[] block) => false;
}

/// <summary>An element-wise function of one value.</summary>
internal interface IUnaryOp
{
    static abstract double Apply(double x);
}

/// <summary>An element-wise function of two values.</summary>
internal interface IBinaryOp
{
    static abstract double Apply(double x, double y);

    /// <summary>True when <see cref="Apply(Vector{double}, Vector{double})"/> gives the scalar form's bits in every lane.</summary>
    static virtual bool Vectorised => false;

    static virtual Vector<double> Apply(Vector<double> x, Vector<double> y) => throw new NotSupportedException("no vector form");
}

internal readonly struct AddOp : IBinaryOp
{
    public static bool Vectorised => true;

    public static double Apply(double x, double y) => x + y;

    public static Vector<double> Apply(Vector<double> x, Vector<double> y) => x + y;
}

internal readonly struct SubOp : IBinaryOp
{
    public static bool Vectorised => true;

    public static double Apply(double x, double y) => x - y;

    public static Vector<double> Apply(Vector<double> x, Vector<double> y) => x - y;
}

internal readonly struct MulOp : IBinaryOp
{
    public static bool Vectorised => true;

    public static double Apply(double x, double y) => x * y;

    public static Vector<double> Apply(Vector<double> x, Vector<double> y) => x * y;
}

internal readonly struct DivOp : IBinaryOp
{
    public static double Apply(double x, double y) => y == 0 ? double.NaN : x / y;
}

internal readonly struct PowOp : IBinaryOp
{
    public static double Apply(double x, double y) => Math.Pow(x, y);
}

internal readonly struct LtOp : IBinaryOp
{
    public static bool Vectorised => true;

    public static double Apply(double x, double y) => x < y ? 1 : 0;

    public static Vector<double> Apply(Vector<double> x, Vector<double> y) => Vector.ConditionalSelect(Vector.LessThan(x, y), Vector<double>.One, Vector<double>.Zero);
}

internal readonly struct LeOp : IBinaryOp
{
    public static bool Vectorised => true;

    public static double Apply(double x, double y) => x <= y ? 1 : 0;

    public static Vector<double> Apply(Vector<double> x, Vector<double> y) => Vector.ConditionalSelect(Vector.LessThanOrEqual(x, y), Vector<double>.One, Vector<double>.Zero);
}

internal readonly struct GtOp : IBinaryOp
{
    public static bool Vectorised => true;

    public static double Apply(double x, double y) => x > y ? 1 : 0;

    public static Vector<double> Apply(Vector<double> x, Vector<double> y) => Vector.ConditionalSelect(Vector.GreaterThan(x, y), Vector<double>.One, Vector<double>.Zero);
}

internal readonly struct GeOp : IBinaryOp
{
    public static bool Vectorised => true;

    public static double Apply(double x, double y) => x >= y ? 1 : 0;

    public static Vector<double> Apply(Vector<double> x, Vector<double> y) => Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, y), Vector<double>.One, Vector<double>.Zero);
}

internal readonly struct EqOp : IBinaryOp
{
    public static bool Vectorised => true;

    public static double Apply(double x, double y) => x == y ? 1 : 0;

    public static Vector<double> Apply(Vector<double> x, Vector<double> y) => Vector.ConditionalSelect(Vector.Equals(x, y), Vector<double>.One, Vector<double>.Zero);
}

internal readonly struct NeOp : IBinaryOp
{
    public static bool Vectorised => true;

    public static double Apply(double x, double y) => x != y ? 1 : 0;

    public static Vector<double> Apply(Vector<double> x, Vector<double> y) => Vector.ConditionalSelect(Vector.Equals(x, y), Vector<double>.Zero, Vector<double>.One);
}

internal readonly struct AndOp : IBinaryOp
{
    public static double Apply(double x, double y) => x != 0 && y != 0 ? 1 : 0;
}

internal readonly struct OrOp : IBinaryOp
{
    public static double Apply(double x, double y) => x != 0 || y != 0 ? 1 : 0;
}

internal readonly struct LeastOp : IBinaryOp
{
    public static double Apply(double x, double y) => Math.Min(x, y);
}

internal readonly struct GreatestOp : IBinaryOp
{
    public static double Apply(double x, double y) => Math.Max(x, y);
}

internal readonly struct NegOp : IUnaryOp
{
    public static double Apply(double x) => -x;
}

internal readonly struct NotOp : IUnaryOp
{
    public static double Apply(double x) => x == 0 ? 1 : 0;
}

internal readonly struct AbsOp : IUnaryOp
{
    public static double Apply(double x) => Math.Abs(x);
}

internal readonly struct LogOp : IUnaryOp
{
    public static double Apply(double x) => x > 0 ? Math.Log(x) : double.NaN;
}

internal readonly struct ExpOp : IUnaryOp
{
    public static double Apply(double x) => Math.Exp(x);
}

internal readonly struct SqrtOp : IUnaryOp
{
    public static double Apply(double x) => x >= 0 ? Math.Sqrt(x) : double.NaN;
}

internal readonly struct SignOp : IUnaryOp
{
    public static double Apply(double x) => Math.Sign(x);
}
