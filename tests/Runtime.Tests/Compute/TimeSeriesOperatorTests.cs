using StrategyLab.Runtime.Compute;

namespace StrategyLab.Runtime.Tests.Compute;

// Expected values: pandas 1.5.3 (TestData/talib/pandas_btcusd_1d.csv) and TA-Lib 0.6.0 (talib_btcusd_1d.csv)
public sealed class LagTests : IndicatorContract<Lag>
{
    protected override ReferenceData Reference => ReferenceData.Pandas;

    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["LAG_2"];

    protected override NanPolicy NanPolicy => NanPolicy.Endpoints;

    protected override int EndpointDistance => 2;

    protected override bool ReadsCurrentValue => false;

    protected override double Tolerance => 0.0;

    protected override Lag Create(int assetCount) => new(assetCount, 2);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Lag.Compute(inputs[0], outputs[0], assetCount, 2);
}

public sealed class DiffTests : IndicatorContract<Diff>
{
    protected override ReferenceData Reference => ReferenceData.Pandas;

    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["DIFF_3"];

    protected override NanPolicy NanPolicy => NanPolicy.Endpoints;

    protected override int EndpointDistance => 3;

    protected override Diff Create(int assetCount) => new(assetCount, 3);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Diff.Compute(inputs[0], outputs[0], assetCount, 3);
}

public sealed class SimpleReturnTests : IndicatorContract<SimpleReturn>
{
    protected override ReferenceData Reference => ReferenceData.Pandas;

    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["RETURN_5"];

    protected override NanPolicy NanPolicy => NanPolicy.Endpoints;

    protected override int EndpointDistance => 5;

    protected override SimpleReturn Create(int assetCount) => new(assetCount, 5);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        SimpleReturn.Compute(inputs[0], outputs[0], assetCount, 5);

    [Fact]
    public void ReturnFromZeroIsMissing()
    {
        var output = new double[4];
        SimpleReturn.Compute([0.0, 2.0, 4.0, 8.0], output, 1, 1);
        Assert.Equal([double.NaN, double.NaN, 1.0, 1.0], output);
    }
}

public sealed class LogReturnTests : IndicatorContract<LogReturn>
{
    protected override ReferenceData Reference => ReferenceData.Pandas;

    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["LOGRETURN_1"];

    protected override NanPolicy NanPolicy => NanPolicy.Endpoints;

    protected override int EndpointDistance => 1;

    protected override LogReturn Create(int assetCount) => new(assetCount, 1);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        LogReturn.Compute(inputs[0], outputs[0], assetCount, 1);
}

public sealed class RollingMeanTests : IndicatorContract<RollingMean>
{
    protected override ReferenceData Reference => ReferenceData.Pandas;

    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["ROLLING_MEAN_20"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override RollingMean Create(int assetCount) => new(assetCount, 20);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        RollingMean.Compute(inputs[0], outputs[0], assetCount, 20);
}

public sealed class RollingSumTests : IndicatorContract<RollingSum>
{
    protected override ReferenceData Reference => ReferenceData.Pandas;

    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["ROLLING_SUM_20"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override RollingSum Create(int assetCount) => new(assetCount, 20);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        RollingSum.Compute(inputs[0], outputs[0], assetCount, 20);
}

public sealed class TaLibSumTests : IndicatorContract<RollingSum>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["SUM_10"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override RollingSum Create(int assetCount) => new(assetCount, 10);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        RollingSum.Compute(inputs[0], outputs[0], assetCount, 10);
}

public sealed class PopulationStdTests : IndicatorContract<RollingStd>
{
    protected override ReferenceData Reference => ReferenceData.Pandas;

    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["ROLLING_STD_POP_20"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override RollingStd Create(int assetCount) => new(assetCount, 20, sample: false);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        RollingStd.Compute(inputs[0], outputs[0], assetCount, 20, sample: false);
}

public sealed class TaLibStdDevTests : IndicatorContract<RollingStd>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["STDDEV_20"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override RollingStd Create(int assetCount) => new(assetCount, 20, sample: false);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        RollingStd.Compute(inputs[0], outputs[0], assetCount, 20, sample: false);
}

public sealed class SampleStdTests : IndicatorContract<RollingStd>
{
    protected override ReferenceData Reference => ReferenceData.Pandas;

    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["ROLLING_STD_SAMPLE_20"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override RollingStd Create(int assetCount) => new(assetCount, 20);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        RollingStd.Compute(inputs[0], outputs[0], assetCount, 20);

    [Fact]
    public void ConstantWindowHasZeroDeviation()
    {
        var output = new double[5];
        RollingStd.Compute([50_000.1, 50_000.1, 50_000.1, 50_000.1, 50_000.1], output, 1, 3);
        Assert.Equal([double.NaN, double.NaN, 0.0, 0.0, 0.0], output);
    }
}

public sealed class RollingMinTests : IndicatorContract<RollingMin>
{
    protected override ReferenceData Reference => ReferenceData.Pandas;

    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["ROLLING_MIN_20"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override double Tolerance => 0.0;

    protected override RollingMin Create(int assetCount) => new(assetCount, 20);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        RollingMin.Compute(inputs[0], outputs[0], assetCount, 20);
}

public sealed class RollingMaxTests : IndicatorContract<RollingMax>
{
    protected override ReferenceData Reference => ReferenceData.Pandas;

    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["ROLLING_MAX_20"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override double Tolerance => 0.0;

    protected override RollingMax Create(int assetCount) => new(assetCount, 20);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        RollingMax.Compute(inputs[0], outputs[0], assetCount, 20);
}

public sealed class TaLibMinTests : IndicatorContract<RollingMin>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["MIN_10"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override double Tolerance => 0.0;

    protected override RollingMin Create(int assetCount) => new(assetCount, 10);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        RollingMin.Compute(inputs[0], outputs[0], assetCount, 10);
}

public sealed class TaLibMaxTests : IndicatorContract<RollingMax>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["MAX_10"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override double Tolerance => 0.0;

    protected override RollingMax Create(int assetCount) => new(assetCount, 10);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        RollingMax.Compute(inputs[0], outputs[0], assetCount, 10);
}

public sealed class RollingZScoreTests : IndicatorContract<RollingZScore>
{
    protected override ReferenceData Reference => ReferenceData.Pandas;

    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["ROLLING_ZSCORE_20"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override RollingZScore Create(int assetCount) => new(assetCount, 20);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        RollingZScore.Compute(inputs[0], outputs[0], assetCount, 20);

    [Fact]
    public void ConstantWindowHasNoScore()
    {
        // by hand: window (1, 2, 3): mean 2, sample std 1, z of 3 = 1; then a constant window has std 0
        var output = new double[6];
        RollingZScore.Compute([1.0, 2.0, 3.0, 3.0, 3.0, 3.0], output, 1, 3);
        Assert.Equal(double.NaN, output[1]);
        Assert.Equal(1.0, output[2], 12);
        Assert.Equal(double.NaN, output[4]);
        Assert.Equal(double.NaN, output[5]);
    }
}
