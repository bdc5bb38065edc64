using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Compute;

namespace StrategyLab.Runtime.Tests.Compute;

/// <summary>What a NaN input does to an operator's state, as its summary documents.</summary>
public enum NanPolicy
{
    /// <summary>The bar is skipped: NaN output there, the state continues as if the bar were absent.</summary>
    Skip,

    /// <summary>The window restarts: outputs after a NaN equal those of a fresh operator started after it.</summary>
    Restart,

    /// <summary>Only the values at t and t − n are read: NaN exactly where one of them is NaN.</summary>
    Endpoints,

    /// <summary>Each row is transformed on its own: NaN inputs give NaN outputs, other assets are unaffected.</summary>
    CrossSectional,
}

/// <summary>
/// Facts every operator must satisfy (DESIGN principle 1): the batch kernel equals the incremental
/// form bit for bit on random panels with gaps, a reset restores the fresh state, readiness follows
/// the warm-up period, and NaN inputs act as documented.
/// </summary>
public abstract class OperatorContract<TOperator>
    where TOperator : IIncrementalIndicator
{
    private const int PropertyTests = 200;

    /// <summary>Creates the operator under test for the given number of assets.</summary>
    protected abstract TOperator Create(int assetCount);

    /// <summary>Runs the batch kernel: one [T×A] array per input, one per output.</summary>
    protected abstract void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount);

    /// <summary>How NaN inputs act on the state.</summary>
    protected abstract NanPolicy NanPolicy { get; }

    /// <summary>Bars between the two values read by an <see cref="NanPolicy.Endpoints"/> operator.</summary>
    protected virtual int EndpointDistance => 0;

    /// <summary>False for an <see cref="NanPolicy.Endpoints"/> operator that only reads x[t − n] (a lag).</summary>
    protected virtual bool ReadsCurrentValue => true;

    [Fact]
    public void BatchKernelEqualsIncrementalFormOnRandomPanels()
    {
        var probe = Create(1);
        Prop.ForAll(RandomPanel.Arbitrary(probe.InputCount), panel =>
        {
            var batch = Batch(panel);
            var incremental = Incremental(Create(panel.Assets), panel);
            return Same(batch, incremental);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(PropertyTests));
    }

    [Fact]
    public void EachAssetEvolvesOnItsOwn()
    {
        // a panel's column equals the same series run alone, bit for bit, also where rows are processed a vector of assets at a time
        if (NanPolicy == NanPolicy.CrossSectional)
        {
            return;
        }

        var probe = Create(1);
        Prop.ForAll(RandomPanel.Arbitrary(probe.InputCount), panel =>
        {
            var wide = Batch(panel);
            var a = panel.Assets;
            for (var asset = 0; asset < a; asset++)
            {
                var single = panel with
                {
                    Assets = 1,
                    Columns = panel.Columns.Select(c => Enumerable.Range(0, panel.Rows).Select(t => c[(t * a) + asset]).ToArray()).ToArray(),
                };
                var alone = Batch(single);
                var column = wide.Select(o => Enumerable.Range(0, panel.Rows).Select(t => o[(t * a) + asset]).ToArray()).ToArray();
                if (!Same(alone, column))
                {
                    return false;
                }
            }

            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(PropertyTests / 2));
    }

    [Fact]
    public void ResetRestoresTheFreshState()
    {
        var probe = Create(1);
        Prop.ForAll(RandomPanel.Arbitrary(probe.InputCount), RandomPanel.Arbitrary(probe.InputCount), (first, second) =>
        {
            var op = Create(second.Assets);
            if (first.Assets == second.Assets)
            {
                Incremental(op, first);
            }

            op.Reset();
            var afterReset = op.Samples == 0 && !op.IsReady;
            return afterReset && Same(Incremental(op, second), Batch(second));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(PropertyTests / 2));
    }

    [Fact]
    public void IsReadyExactlyAfterWarmUpPeriod()
    {
        var op = Create(2);
        var row = new double[op.InputCount * op.AssetCount];
        var output = new double[op.OutputCount * op.AssetCount];
        var series = RealSeries(op.InputCount);
        for (var t = 0; t < op.WarmUpPeriod + 3; t++)
        {
            Assert.Equal(t >= op.WarmUpPeriod, op.IsReady);
            for (var i = 0; i < op.InputCount; i++)
            {
                row[i * 2] = series[i][t];
                row[(i * 2) + 1] = series[i][t] * 1.01;
            }

            op.Update(Timestamp(t), row, output);
            Assert.Equal(t + 1, op.Samples);
            var hasValue = !double.IsNaN(output[0]);
            Assert.True(hasValue == (t + 1 >= op.WarmUpPeriod), $"bar {t + 1}: output {output[0]} with warm-up {op.WarmUpPeriod}");
        }

        Assert.True(op.IsReady);
    }

    [Fact]
    public void NanInputsActAsDocumented()
    {
        var probe = Create(1);
        var rows = 220;
        var clean = RealSeries(probe.InputCount).Select(c => c[..rows]).ToArray();
        var gapped = clean.Select(c => (double[])c.Clone()).ToArray();
        int[] gaps = [60, 61, 150];
        gapped[^1][60] = double.NaN;
        gapped[^1][61] = double.NaN;
        gapped[0][150] = double.NaN;
        var timestamps = Enumerable.Range(0, rows).Select(t => Timestamp(t)).ToArray();
        var actual = Batch(new RandomPanel(rows, 1, timestamps, gapped));
        var expected = new double[probe.OutputCount][];
        for (var o = 0; o < expected.Length; o++)
        {
            expected[o] = new double[rows];
        }

        switch (NanPolicy)
        {
            case NanPolicy.Skip:
                {
                    var kept = Enumerable.Range(0, rows).Where(t => !gaps.Contains(t)).ToArray();
                    var compressed = Batch(new RandomPanel(kept.Length, 1, kept.Select(t => timestamps[t]).ToArray(), clean.Select(c => kept.Select(t => c[t]).ToArray()).ToArray()));
                    foreach (var e in expected)
                    {
                        Array.Fill(e, double.NaN);
                    }

                    for (var k = 0; k < kept.Length; k++)
                    {
                        for (var o = 0; o < expected.Length; o++)
                        {
                            expected[o][kept[k]] = compressed[o][k];
                        }
                    }

                    Assert.True(Same(expected, actual), "skipping the NaN bars should give the indicator of the series without them");
                    break;
                }

            case NanPolicy.Restart:
                {
                    var start = 0;
                    foreach (var end in gaps.Append(rows))
                    {
                        if (end > start)
                        {
                            var segment = Batch(new RandomPanel(end - start, 1, timestamps[start..end], clean.Select(c => c[start..end]).ToArray()));
                            for (var o = 0; o < expected.Length; o++)
                            {
                                segment[o].CopyTo(expected[o], start);
                            }
                        }

                        if (end < rows)
                        {
                            for (var o = 0; o < expected.Length; o++)
                            {
                                expected[o][end] = double.NaN;
                            }
                        }

                        start = end + 1;
                    }

                    AssertClose(expected, actual, 1e-10, "after a NaN the window should restart");
                    break;
                }

            case NanPolicy.Endpoints:
                {
                    var n = EndpointDistance;
                    for (var t = 0; t < rows; t++)
                    {
                        var missing = t < n || (ReadsCurrentValue && gaps.Contains(t)) || gaps.Contains(t - n);
                        for (var o = 0; o < expected.Length; o++)
                        {
                            Assert.True(missing == double.IsNaN(actual[o][t]), $"bar {t}: NaN output should be exactly where x[t] or x[t-{n}] is NaN");
                        }
                    }

                    break;
                }

            case NanPolicy.CrossSectional:
                {
                    var wide = new RandomPanel(rows, 3, timestamps, clean.Select(c => c.SelectMany(x => new[] { x, x * 1.01, double.NaN }).ToArray()).ToArray());
                    var output = Batch(wide);
                    foreach (var column in output)
                    {
                        for (var t = 0; t < rows; t++)
                        {
                            Assert.True(double.IsNaN(column[(t * 3) + 2]), "the asset without values should stay NaN");
                            Assert.False(double.IsNaN(column[t * 3]), "assets with values should get one");
                        }
                    }

                    break;
                }
        }
    }

    /// <summary>Real BTC/USD daily columns in the order open, high, low, close, volume (truncated to the input count from the end).</summary>
    protected static double[][] RealSeries(int inputCount, string[]? columns = null)
    {
        var data = ReferenceData.TaLib;
        columns ??= inputCount switch
        {
            1 => ["close"],
            2 => ["close", "volume"],
            3 => ["high", "low", "close"],
            4 => ["high", "low", "close", "volume"],
            _ => throw new ArgumentOutOfRangeException(nameof(inputCount)),
        };
        return columns.Select(c => data[c]).ToArray();
    }

    protected static long Timestamp(int row) => 1_577_836_800_000L + (row * 86_400_000L);

    protected double[][] Batch(RandomPanel panel)
    {
        var probe = Create(panel.Assets);
        var outputs = new double[probe.OutputCount][];
        for (var o = 0; o < outputs.Length; o++)
        {
            outputs[o] = new double[panel.Rows * panel.Assets];
        }

        RunBatch(panel.Timestamps, panel.Columns, outputs, panel.Assets);
        return outputs;
    }

    protected static double[][] Incremental(TOperator op, RandomPanel panel)
    {
        var a = panel.Assets;
        var inputRow = new double[op.InputCount * a];
        var outputRow = new double[op.OutputCount * a];
        var outputs = new double[op.OutputCount][];
        for (var o = 0; o < outputs.Length; o++)
        {
            outputs[o] = new double[panel.Rows * a];
        }

        for (var t = 0; t < panel.Rows; t++)
        {
            for (var i = 0; i < op.InputCount; i++)
            {
                panel.Columns[i].AsSpan(t * a, a).CopyTo(inputRow.AsSpan(i * a));
            }

            op.Update(panel.Timestamps[t], inputRow, outputRow);
            for (var o = 0; o < outputs.Length; o++)
            {
                outputRow.AsSpan(o * a, a).CopyTo(outputs[o].AsSpan(t * a));
            }
        }

        return outputs;
    }

    protected static bool Same(double[][] expected, double[][] actual)
    {
        for (var o = 0; o < expected.Length; o++)
        {
            for (var i = 0; i < expected[o].Length; i++)
            {
                var x = expected[o][i];
                var y = actual[o][i];
                if (double.IsNaN(x) ? !double.IsNaN(y) : BitConverter.DoubleToInt64Bits(x) != BitConverter.DoubleToInt64Bits(y))
                {
                    return false;
                }
            }
        }

        return true;
    }

    protected static void AssertClose(double[][] expected, double[][] actual, double tolerance, string because)
    {
        for (var o = 0; o < expected.Length; o++)
        {
            for (var i = 0; i < expected[o].Length; i++)
            {
                var x = expected[o][i];
                var y = actual[o][i];
                var ok = double.IsNaN(x) ? double.IsNaN(y) : Math.Abs(x - y) <= tolerance * Math.Max(1.0, Math.Abs(x));
                Assert.True(ok, $"{because}: output {o}, index {i}: expected {x:R}, found {y:R}");
            }
        }
    }
}

/// <summary>A [T×A] panel per input column with its time axis (Unix milliseconds).</summary>
public sealed record RandomPanel(int Rows, int Assets, long[] Timestamps, double[][] Columns)
{
    /// <summary>
    /// Panels of 1..150 bars and 1..11 assets (enough for vector paths and their tails); each asset lists late and delists early at random,
    /// about one cell in ten is a NaN gap, some values repeat (ties), a few are 0 or negative, and
    /// bars are 1 minute to 12 hours apart so UTC days roll over. One panel in three has no gaps at
    /// all, so the paths taken while every asset's window is full get exercised too.
    /// </summary>
    public static Arbitrary<RandomPanel> Arbitrary(int inputCount)
    {
        var cell = Gen.Frequency(
            (1, Gen.Constant(double.NaN)),
            (2, Gen.Elements(100.0, 101.0, 99.5)),
            (1, Gen.Elements(0.0, -3.0)),
            (12, Gen.Choose(5_000, 15_000).Select(i => i / 100.0)));
        var denseCell = Gen.Frequency(
            (1, Gen.Elements(100.0, 101.0, 99.5)),
            (12, Gen.Choose(5_000, 15_000).Select(i => i / 100.0)));
        var gen =
            from dense in Gen.Elements(false, false, true)
            from rows in Gen.Choose(1, 150)
            from assets in Gen.Choose(1, 11)
            from cells in Gen.ArrayOf(dense ? denseCell : cell, rows * assets * inputCount)
            from listed in Gen.ArrayOf(dense ? Gen.Constant(0) : Gen.Choose(0, rows), assets)
            from delisted in Gen.ArrayOf(dense ? Gen.Constant(rows) : Gen.Choose(0, 3 * rows), assets)
            from steps in Gen.ArrayOf(Gen.Choose(1, 720), rows)
            select Build(rows, assets, inputCount, cells, listed, delisted, steps);
        return gen.ToArbitrary();
    }

    private static RandomPanel Build(int rows, int assets, int inputCount, double[] cells, int[] listed, int[] delisted, int[] steps)
    {
        var columns = new double[inputCount][];
        for (var i = 0; i < inputCount; i++)
        {
            columns[i] = cells.AsSpan(i * rows * assets, rows * assets).ToArray();
            for (var t = 0; t < rows; t++)
            {
                for (var a = 0; a < assets; a++)
                {
                    if (t < listed[a] || t > delisted[a])
                    {
                        columns[i][(t * assets) + a] = double.NaN;
                    }
                }
            }
        }

        var timestamps = new long[rows];
        var time = 1_700_000_000_000L;
        for (var t = 0; t < rows; t++)
        {
            time += steps[t] * 60_000L;
            timestamps[t] = time;
        }

        return new RandomPanel(rows, assets, timestamps, columns);
    }

    public override string ToString() =>
        $"{Rows}×{Assets}: " + string.Join(" | ", Columns.Select(c => string.Join(",", c.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
}
