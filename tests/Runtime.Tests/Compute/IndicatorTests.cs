using StrategyLab.Runtime.Compute;

namespace StrategyLab.Runtime.Tests.Compute;

// Expected values: TA-Lib 0.6.0 from the npm package talib 2.0.5 (TestData/talib/talib_btcusd_1d.csv, README there)
public sealed class SmaTests : IndicatorContract<Sma>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["SMA_30"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override Sma Create(int assetCount) => new(assetCount, 30);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Sma.Compute(inputs[0], outputs[0], assetCount, 30);
}

public sealed class EmaTests : IndicatorContract<Ema>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["EMA_10"];

    protected override NanPolicy NanPolicy => NanPolicy.Skip;

    protected override Ema Create(int assetCount) => new(assetCount, 10);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Ema.Compute(inputs[0], outputs[0], assetCount, 10);
}

public sealed class SlowEmaTests : IndicatorContract<Ema>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["EMA_30"];

    protected override NanPolicy NanPolicy => NanPolicy.Skip;

    protected override Ema Create(int assetCount) => new(assetCount, 30);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Ema.Compute(inputs[0], outputs[0], assetCount, 30);
}

public sealed class RocTests : IndicatorContract<Roc>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["ROC_10"];

    protected override NanPolicy NanPolicy => NanPolicy.Endpoints;

    protected override int EndpointDistance => 10;

    protected override Roc Create(int assetCount) => new(assetCount, 10);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Roc.Compute(inputs[0], outputs[0], assetCount, 10);
}

public sealed class OneBarReturnTests : IndicatorContract<SimpleReturn>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["ROCP_1"];

    protected override NanPolicy NanPolicy => NanPolicy.Endpoints;

    protected override int EndpointDistance => 1;

    protected override SimpleReturn Create(int assetCount) => new(assetCount, 1);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        SimpleReturn.Compute(inputs[0], outputs[0], assetCount, 1);
}

public sealed class MomentumTests : IndicatorContract<Momentum>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["MOM_10"];

    protected override NanPolicy NanPolicy => NanPolicy.Endpoints;

    protected override int EndpointDistance => 10;

    protected override Momentum Create(int assetCount) => new(assetCount, 10);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Momentum.Compute(inputs[0], outputs[0], assetCount, 10);
}

public sealed class MacdTests : IndicatorContract<Macd>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["MACD_12_26_9", "MACDSIGNAL_12_26_9", "MACDHIST_12_26_9"];

    protected override NanPolicy NanPolicy => NanPolicy.Skip;

    protected override Macd Create(int assetCount) => new(assetCount, 12, 26, 9);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Macd.Compute(inputs[0], outputs[0], outputs[1], outputs[2], assetCount, 12, 26, 9);
}

public sealed class RsiTests : IndicatorContract<Rsi>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["RSI_14"];

    protected override NanPolicy NanPolicy => NanPolicy.Skip;

    protected override Rsi Create(int assetCount) => new(assetCount, 14);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Rsi.Compute(inputs[0], outputs[0], assetCount, 14);
}

public sealed class BollingerBandsTests : IndicatorContract<BollingerBands>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["BBANDS_UPPER_20_2", "BBANDS_MIDDLE_20_2", "BBANDS_LOWER_20_2"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override BollingerBands Create(int assetCount) => new(assetCount, 20, 2.0, 2.0);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        BollingerBands.Compute(inputs[0], outputs[0], outputs[1], outputs[2], assetCount, 20, 2.0, 2.0);
}

public sealed class CciTests : IndicatorContract<Cci>
{
    protected override string[] InputColumns => ["high", "low", "close"];

    protected override string[] ReferenceColumns => ["CCI_14"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override Cci Create(int assetCount) => new(assetCount, 14);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Cci.Compute(inputs[0], inputs[1], inputs[2], outputs[0], assetCount, 14);
}

public sealed class StochasticTests : IndicatorContract<Stochastic>
{
    protected override string[] InputColumns => ["high", "low", "close"];

    protected override string[] ReferenceColumns => ["STOCH_SLOWK_5_3_3", "STOCH_SLOWD_5_3_3"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override Stochastic Create(int assetCount) => new(assetCount, 5, 3, 3);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Stochastic.Compute(inputs[0], inputs[1], inputs[2], outputs[0], outputs[1], assetCount, 5, 3, 3);
}

public sealed class StochasticRsiTests : IndicatorContract<StochasticRsi>
{
    protected override string[] InputColumns => ["close"];

    protected override string[] ReferenceColumns => ["STOCHRSI_FASTK_14_5_3", "STOCHRSI_FASTD_14_5_3"];

    protected override NanPolicy NanPolicy => NanPolicy.Skip;

    protected override StochasticRsi Create(int assetCount) => new(assetCount, 14, 5, 3);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        StochasticRsi.Compute(inputs[0], outputs[0], outputs[1], assetCount, 14, 5, 3);
}

public sealed class AtrTests : IndicatorContract<Atr>
{
    protected override string[] InputColumns => ["high", "low", "close"];

    protected override string[] ReferenceColumns => ["ATR_14"];

    protected override NanPolicy NanPolicy => NanPolicy.Skip;

    protected override Atr Create(int assetCount) => new(assetCount, 14);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Atr.Compute(inputs[0], inputs[1], inputs[2], outputs[0], assetCount, 14);
}

public sealed class NatrTests : IndicatorContract<Natr>
{
    protected override string[] InputColumns => ["high", "low", "close"];

    protected override string[] ReferenceColumns => ["NATR_14"];

    protected override NanPolicy NanPolicy => NanPolicy.Skip;

    protected override Natr Create(int assetCount) => new(assetCount, 14);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Natr.Compute(inputs[0], inputs[1], inputs[2], outputs[0], assetCount, 14);
}

public sealed class ObvTests : IndicatorContract<Obv>
{
    protected override string[] InputColumns => ["close", "volume"];

    protected override string[] ReferenceColumns => ["OBV"];

    protected override NanPolicy NanPolicy => NanPolicy.Skip;

    protected override Obv Create(int assetCount) => new(assetCount);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Obv.Compute(inputs[0], inputs[1], outputs[0], assetCount);
}

public sealed class MfiTests : IndicatorContract<Mfi>
{
    protected override string[] InputColumns => ["high", "low", "close", "volume"];

    protected override string[] ReferenceColumns => ["MFI_14"];

    protected override NanPolicy NanPolicy => NanPolicy.Restart;

    protected override Mfi Create(int assetCount) => new(assetCount, 14);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Mfi.Compute(inputs[0], inputs[1], inputs[2], inputs[3], outputs[0], assetCount, 14);
}

public sealed class BopTests : IndicatorContract<Bop>
{
    protected override string[] InputColumns => ["open", "high", "low", "close"];

    protected override string[] ReferenceColumns => ["BOP"];

    protected override NanPolicy NanPolicy => NanPolicy.Endpoints;

    protected override Bop Create(int assetCount) => new(assetCount);

    protected override void RunBatch(long[] timestamps, double[][] inputs, double[][] outputs, int assetCount) =>
        Bop.Compute(inputs[0], inputs[1], inputs[2], inputs[3], outputs[0], assetCount);
}
