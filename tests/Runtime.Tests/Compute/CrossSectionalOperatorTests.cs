using StrategyLab.Runtime.Compute;

namespace StrategyLab.Runtime.Tests.Compute;

// Expected values worked out by hand from the definitions in the operators' summaries; the
// percentile row is also what pandas 1.5.3 gives for pd.Series([3, 1, nan, 2, 2]).rank(pct=True).
public sealed class CrossSectionalRankTests : OperatorContract<CrossSectionalRank>
{
    protected override NanPolicy NanPolicy => NanPolicy.CrossSectional;

    protected override CrossSectionalRank Create(int assetCount) => new(assetCount);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        CrossSectionalRank.Compute(inputs[0], outputs[0], assetCount);

    [Fact]
    public void RanksFromZeroToOneWithTiesAveraged()
    {
        // valid values 3, 1, 2, 2: ranks 4, 1, 2.5, 2.5 of m = 4, scaled by (r - 1) / 3
        var output = new double[10];
        CrossSectionalRank.Compute([3.0, 1.0, double.NaN, 2.0, 2.0, double.NaN, 7.0, double.NaN, double.NaN, double.NaN], output, 5);
        Assert.Equal([1.0, 0.0, double.NaN, 0.5, 0.5], output[..5]);
        Assert.Equal([double.NaN, 0.5, double.NaN, double.NaN, double.NaN], output[5..]);
    }
}

public sealed class CrossSectionalPercentileTests : OperatorContract<CrossSectionalPercentile>
{
    protected override NanPolicy NanPolicy => NanPolicy.CrossSectional;

    protected override CrossSectionalPercentile Create(int assetCount) => new(assetCount);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        CrossSectionalPercentile.Compute(inputs[0], outputs[0], assetCount);

    [Fact]
    public void PercentileIsRankOverCountLikePandas()
    {
        var output = new double[5];
        CrossSectionalPercentile.Compute([3.0, 1.0, double.NaN, 2.0, 2.0], output, 5);
        Assert.Equal([1.0, 0.25, double.NaN, 0.625, 0.625], output);
    }
}

public sealed class CrossSectionalZScoreTests : OperatorContract<CrossSectionalZScore>
{
    protected override NanPolicy NanPolicy => NanPolicy.CrossSectional;

    protected override CrossSectionalZScore Create(int assetCount) => new(assetCount);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        CrossSectionalZScore.Compute(inputs[0], outputs[0], assetCount);

    [Fact]
    public void ScoresAgainstTheSampleDeviationOfTheRow()
    {
        // mean 2, squared deviations 1 + 1 + 0 + 0 = 2, sample std sqrt(2 / 3); z = ±1 / sqrt(2 / 3) = ±1.2247448713915890
        var output = new double[5];
        CrossSectionalZScore.Compute([3.0, 1.0, double.NaN, 2.0, 2.0], output, 5);
        Assert.Equal(1.2247448713915890, output[0], 14);
        Assert.Equal(-1.2247448713915890, output[1], 14);
        Assert.True(double.IsNaN(output[2]));
        Assert.Equal(0.0, output[3]);
        Assert.Equal(0.0, output[4]);
    }

    [Fact]
    public void RowsWithoutSpreadHaveNoScore()
    {
        var output = new double[6];
        CrossSectionalZScore.Compute([4.0, double.NaN, 4.0, 4.0, double.NaN, double.NaN], output, 3);
        Assert.All(output, x => Assert.True(double.IsNaN(x)));
    }
}

public sealed class CrossSectionalDemeanTests : OperatorContract<CrossSectionalDemean>
{
    protected override NanPolicy NanPolicy => NanPolicy.CrossSectional;

    protected override CrossSectionalDemean Create(int assetCount) => new(assetCount);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        CrossSectionalDemean.Compute(inputs[0], outputs[0], assetCount);

    [Fact]
    public void SubtractsTheMeanOfTheAssetsWithValues()
    {
        var output = new double[5];
        CrossSectionalDemean.Compute([3.0, 1.0, double.NaN, 2.0, 2.0], output, 5);
        Assert.Equal([1.0, -1.0, double.NaN, 0.0, 0.0], output);
    }
}

public sealed class QuantileBucketsTests : OperatorContract<QuantileBuckets>
{
    protected override NanPolicy NanPolicy => NanPolicy.CrossSectional;

    protected override QuantileBuckets Create(int assetCount) => new(assetCount, 4);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        QuantileBuckets.Compute(inputs[0], outputs[0], assetCount, 4);

    [Fact]
    public void SplitsTenAssetsIntoFiveEqualBuckets()
    {
        // sorted: -2.0 -1.2 -0.4 0.0 0.3 0.5 0.9 1.1 2.5 3.3 → two per bucket, 5 = highest
        var output = new double[10];
        QuantileBuckets.Compute([0.3, -1.2, 2.5, 0.0, 1.1, -0.4, 0.9, 3.3, -2.0, 0.5], output, 10, 5);
        Assert.Equal([3.0, 1.0, 5.0, 2.0, 4.0, 2.0, 4.0, 5.0, 1.0, 3.0], output);
    }

    [Fact]
    public void UnevenCountsSplitLikePandasQcutOfRanks()
    {
        // pd.qcut([1..7], 3) has edges 1, 3, 5, 7: sizes 3, 2, 2
        var output = new double[7];
        QuantileBuckets.Compute([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0], output, 7, 3);
        Assert.Equal([1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0], output);
    }

    [Fact]
    public void TiesShareABucket()
    {
        // ranks 4, 1, 2.5, 2.5 of m = 4: floor((r - 1) × 4 / 4) + 1 = 4, 1, 2, 2
        var output = new double[5];
        QuantileBuckets.Compute([3.0, 1.0, double.NaN, 2.0, 2.0], output, 5, 4);
        Assert.Equal([4.0, 1.0, double.NaN, 2.0, 2.0], output);
    }
}

public sealed class DailyQuantileBucketsTests : OperatorContract<DailyQuantileBuckets>
{
    private const long Day = 86_400_000L;
    private const long Hour = 3_600_000L;

    protected override NanPolicy NanPolicy => NanPolicy.CrossSectional;

    protected override DailyQuantileBuckets Create(int assetCount) => new(assetCount, 3);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        DailyQuantileBuckets.Compute(timestamps, inputs[0], outputs[0], assetCount, 3);

    [Fact]
    public void PoolsTheDaySoFarAndStartsAgainAtMidnight()
    {
        // day 1 pools 1 | 1, 3 | 1, 3, 5; day 2 starts with 2 alone. q = 2:
        // 1 of {1} → 1; 3 of {1, 3} → r 2 of 2 → 2; 5 of {1, 3, 5} → floor(2 × 2 / 3) + 1 = 2; 2 of {2} → 1
        long[] time = [20_000 * Day, (20_000 * Day) + (6 * Hour), (20_000 * Day) + (23 * Hour), 20_001 * Day];
        var output = new double[4];
        DailyQuantileBuckets.Compute(time, [1.0, 3.0, 5.0, 2.0], output, 1, 2);
        Assert.Equal([1.0, 2.0, 2.0, 1.0], output);
    }

    [Fact]
    public void WholeDayScopeUsesTheWholeDay()
    {
        // day 1 pools 1, 3, 5: ranks 1, 2, 3 → floor(0), floor(2 / 3), floor(4 / 3) + 1 = 1, 1, 2
        long[] time = [20_000 * Day, (20_000 * Day) + (6 * Hour), (20_000 * Day) + (23 * Hour), 20_001 * Day];
        var output = new double[4];
        DailyQuantileBuckets.ComputeWholeDay(time, [1.0, 3.0, 5.0, 2.0], output, 1, 2);
        Assert.Equal([1.0, 1.0, 2.0, 1.0], output);
    }

    [Fact]
    public void PoolsEveryAssetOfTheDayWithTiesAveraged()
    {
        // two assets, two bars in one day, q = 4. Bar 1 pools {2, 2}: both rank 1.5 of 2 → floor(0.5 × 4 / 2) + 1 = 2.
        // Bar 2 pools {2, 2, 1, NaN→skipped}: 1 ranks 1 of 3 → 1
        long[] time = [20_000 * Day, (20_000 * Day) + Hour];
        var output = new double[4];
        DailyQuantileBuckets.Compute(time, [2.0, 2.0, 1.0, double.NaN], output, 2, 4);
        Assert.Equal([2.0, 2.0, 1.0, double.NaN], output);
    }

    [Fact]
    public void RejectsATimeAxisThatGoesBack()
    {
        var output = new double[2];
        Assert.Throws<ArgumentException>(() => DailyQuantileBuckets.Compute([2 * Day, Day], [1.0, 2.0], output, 1, 2));
        var op = new DailyQuantileBuckets(1, 2);
        op.Update(2 * Day, [1.0], output.AsSpan(0, 1));
        Assert.Throws<ArgumentException>(() => op.Update(Day, [1.0], output.AsSpan(0, 1)));
    }
}
