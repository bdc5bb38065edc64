namespace StrategyLab.Runtime.Compute;

/// <summary>
/// The incremental (one bar at a time) form of an operator, for paper and live trading. Each
/// <see cref="Update"/> consumes one row of <see cref="AssetCount"/> values per input and writes one
/// row per output; the batch kernel of the same operator gives the same numbers, bit for bit.
/// Example: an RSI(14) over 100 assets takes one 100-value row of closes per bar.
/// </summary>
public interface IIncrementalIndicator
{
    /// <summary>Name with parameters, e.g. <c>RSI(14)</c>.</summary>
    string Name { get; }

    /// <summary>Number of assets (values per row).</summary>
    int AssetCount { get; }

    /// <summary>Number of input rows per bar (1 for a single series; 3 for high, low, close).</summary>
    int InputCount { get; }

    /// <summary>Number of output rows per bar (3 for MACD line, signal and histogram).</summary>
    int OutputCount { get; }

    /// <summary>
    /// Number of bars after which the indicator is ready: TA-Lib's lookback plus one. With no
    /// missing values, the first output that is not NaN is the one of bar number
    /// <see cref="WarmUpPeriod"/> (counting from 1).
    /// </summary>
    int WarmUpPeriod { get; }

    /// <summary>Number of bars consumed since construction or the last <see cref="Reset"/>.</summary>
    int Samples { get; }

    /// <summary>
    /// True once <see cref="Samples"/> reaches <see cref="WarmUpPeriod"/>. Readiness of a single
    /// asset (listed late, or back from a gap) shows in its outputs: NaN until it has enough values.
    /// </summary>
    bool IsReady { get; }

    /// <summary>Returns the indicator to its freshly constructed state.</summary>
    void Reset();

    /// <summary>
    /// Consumes one bar. <paramref name="inputRows"/> holds <see cref="InputCount"/> rows of
    /// <see cref="AssetCount"/> values one after another, in the order the operator documents;
    /// <paramref name="outputRows"/> receives <see cref="OutputCount"/> rows the same way.
    /// <paramref name="timestampMs"/> (Unix milliseconds) is only read by time-scoped operators.
    /// </summary>
    void Update(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows);
}

/// <summary>
/// Shared plumbing of the incremental forms: sample count, readiness and argument checks. The
/// batch kernels drive the same sealed subclasses row by row, so both forms run one state update.
/// </summary>
public abstract class IncrementalIndicator : IIncrementalIndicator
{
    private protected IncrementalIndicator(string name, int assetCount, int warmUpPeriod, int inputCount, int outputCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(assetCount, 1);
        Name = name;
        AssetCount = assetCount;
        WarmUpPeriod = warmUpPeriod;
        InputCount = inputCount;
        OutputCount = outputCount;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int AssetCount { get; }

    /// <inheritdoc/>
    public int InputCount { get; }

    /// <inheritdoc/>
    public int OutputCount { get; }

    /// <inheritdoc/>
    public int WarmUpPeriod { get; }

    /// <inheritdoc/>
    public int Samples { get; private set; }

    /// <inheritdoc/>
    public bool IsReady => Samples >= WarmUpPeriod;

    /// <inheritdoc/>
    public void Reset()
    {
        Samples = 0;
        ResetState();
    }

    /// <inheritdoc/>
    public void Update(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows)
    {
        if (inputRows.Length != InputCount * AssetCount)
        {
            throw new ArgumentException($"expected {InputCount} input rows of {AssetCount} values, found {inputRows.Length} values", nameof(inputRows));
        }

        if (outputRows.Length != OutputCount * AssetCount)
        {
            throw new ArgumentException($"expected {OutputCount} output rows of {AssetCount} values, found {outputRows.Length} values", nameof(outputRows));
        }

        UpdateRows(timestampMs, inputRows, outputRows);
    }

    /// <summary>
    /// Consumes consecutive bars of a one-input, one-output operator: <paramref name="input"/> and
    /// <paramref name="output"/> hold one row of <see cref="AssetCount"/> values per timestamp. The
    /// numbers are those of one <see cref="Update"/> per bar; operators with a faster block kernel
    /// (a single asset's column) override it.
    /// </summary>
    internal virtual void UpdateBlock(ReadOnlySpan<long> timestampsMs, ReadOnlySpan<double> input, Span<double> output)
    {
        var a = AssetCount;
        for (var t = 0; t < timestampsMs.Length; t++)
        {
            UpdateRows(timestampsMs[t], input.Slice(t * a, a), output.Slice(t * a, a));
        }
    }

    /// <summary>Runs the typed update on packed rows; implementations slice and call their own Update.</summary>
    private protected abstract void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows);

    /// <summary>Clears the per-asset state.</summary>
    private protected abstract void ResetState();

    /// <summary>Counts one consumed bar; called at the end of every typed update.</summary>
    private protected void Advance() => Samples++;

    /// <summary>Counts <paramref name="bars"/> bars consumed by a block kernel.</summary>
    private protected void Advance(int bars) => Samples += bars;

    /// <summary>Index of the bar being consumed (0 for the first), used for ring-buffer slots.</summary>
    private protected int Row => Samples;

    private protected ReadOnlySpan<double> In(ReadOnlySpan<double> rows, int index) => rows.Slice(index * AssetCount, AssetCount);

    private protected Span<double> Out(Span<double> rows, int index) => rows.Slice(index * AssetCount, AssetCount);

    private protected void CheckRow(ReadOnlySpan<double> row, string name)
    {
        if (row.Length != AssetCount)
        {
            throw new ArgumentException($"expected a row of {AssetCount} values, found {row.Length}", name);
        }
    }

    private protected void CheckRow(Span<double> row, string name)
    {
        if (row.Length != AssetCount)
        {
            throw new ArgumentException($"expected a row of {AssetCount} values, found {row.Length}", name);
        }
    }
}
