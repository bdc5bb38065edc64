using StrategyLab.Runtime.Compute;

namespace StrategyLab.Runtime.Tests.Compute;

/// <summary>
/// LEAN's common indicator tests over independent reference values (TestData/talib: TA-Lib 0.6.0
/// and pandas 1.5.3 on 300 daily BTC/USD bars): the values match, they match again after a reset,
/// the first value appears where the reference's does, and a multi-asset panel of the same data with
/// late listings and gaps gives the same numbers in batch and incremental form.
/// </summary>
public abstract class IndicatorContract<TIndicator> : OperatorContract<TIndicator>
    where TIndicator : IIncrementalIndicator
{
    /// <summary>The reference file the expected values come from.</summary>
    protected virtual ReferenceData Reference => ReferenceData.TaLib;

    /// <summary>Reference columns fed to the inputs, in the operator's packed input order.</summary>
    protected abstract string[] InputColumns { get; }

    /// <summary>Reference columns expected from the outputs, in the operator's packed output order.</summary>
    protected abstract string[] ReferenceColumns { get; }

    /// <summary>Largest accepted difference, relative to max(1, |expected|).</summary>
    protected virtual double Tolerance => 1e-9;

    [Fact]
    public void MatchesReferenceValues()
    {
        var op = Create(1);
        AssertClose(Expected(), Incremental(op, ReferencePanel()), Tolerance, $"{op.Name} against {string.Join(", ", ReferenceColumns)}");
    }

    [Fact]
    public void MatchesReferenceValuesAfterReset()
    {
        var op = Create(1);
        var panel = ReferencePanel();
        var reversed = panel with { Columns = panel.Columns.Select(c => c.Reverse().ToArray()).ToArray() };
        Incremental(op, reversed);
        op.Reset();
        AssertClose(Expected(), Incremental(op, panel), Tolerance, $"{op.Name} after reset");
    }

    [Fact]
    public void FirstValueAppearsWhereTheReferenceStarts()
    {
        var op = Create(1);
        var expected = Expected()[0];
        var firstReference = Array.FindIndex(expected, x => !double.IsNaN(x));
        Assert.Equal(op.WarmUpPeriod - 1, firstReference);
    }

    [Fact]
    public void BatchKernelEqualsIncrementalForm()
    {
        var reference = ReferencePanel();
        var rows = reference.Rows;
        const int assets = 4;
        var columns = reference.Columns.Select(c =>
        {
            var panel = new double[rows * assets];
            for (var t = 0; t < rows; t++)
            {
                panel[t * assets] = c[t];
                panel[(t * assets) + 1] = t < 40 || (t >= 100 && t < 105) ? double.NaN : c[t] * 0.5;
                panel[(t * assets) + 2] = t > 250 || t % 37 == 0 ? double.NaN : c[rows - 1 - t];
                panel[(t * assets) + 3] = Math.Round(c[t] / 1000.0);
            }

            return panel;
        }).ToArray();
        var wide = new RandomPanel(rows, assets, reference.Timestamps, columns);
        var batch = Batch(wide);
        Assert.True(Same(batch, Incremental(Create(assets), wide)), "batch and incremental forms differ");

        // the fully listed asset of the panel is the reference series
        var first = batch.Select(o => Enumerable.Range(0, rows).Select(t => o[t * assets]).ToArray()).ToArray();
        AssertClose(Expected(), first, Tolerance, "asset 0 of the panel");
    }

    private RandomPanel ReferencePanel()
    {
        var data = Reference;
        var timestamps = Enumerable.Range(0, data.Rows).Select(Timestamp).ToArray();
        return new RandomPanel(data.Rows, 1, timestamps, InputColumns.Select(c => data[c]).ToArray());
    }

    private double[][] Expected() => ReferenceColumns.Select(c => Reference[c]).ToArray();
}
