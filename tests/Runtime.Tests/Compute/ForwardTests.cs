using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Compute;

namespace StrategyLab.Runtime.Tests.Compute;

public sealed class ForwardTests
{
    [Fact]
    public void ForwardReturnReadsTheNextBars()
    {
        // by hand, two assets: (4 / 2 − 1, 9 / 3 − 1) then the last bar has no future
        var output = new double[6];
        Forward.Return([2.0, 3.0, 4.0, 9.0, 8.0, double.NaN], output, 2, 1);
        Assert.Equal([1.0, 2.0, 1.0, double.NaN, double.NaN, double.NaN], output);
    }

    [Fact]
    public void ForwardMeanAveragesTheNextHorizonBars()
    {
        var output = new double[5];
        Forward.Mean([1.0, 2.0, 4.0, 6.0, 8.0], output, 1, 2);
        Assert.Equal([3.0, 5.0, 7.0, double.NaN, double.NaN], output);
    }

    [Fact]
    public void ForwardOperatorsEqualTheirBackwardTwinsMovedEarlier()
    {
        Prop.ForAll(RandomPanel.Arbitrary(1), Gen.Choose(1, 5).ToArbitrary(), (panel, h) =>
        {
            var x = panel.Columns[0];
            var a = panel.Assets;
            var n = x.Length;
            var ok = true;
            var forward = new double[n];
            var backward = new double[n];

            Forward.Value(x, forward, a, h);
            ok &= Moved(forward, x, a, h);
            Forward.Return(x, forward, a, h);
            SimpleReturn.Compute(x, backward, a, h);
            ok &= Moved(forward, backward, a, h);
            Forward.LogReturn(x, forward, a, h);
            LogReturn.Compute(x, backward, a, h);
            ok &= Moved(forward, backward, a, h);
            Forward.Mean(x, forward, a, h);
            RollingMean.Compute(x, backward, a, h);
            ok &= Moved(forward, backward, a, h);
            return ok;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    private static bool Moved(double[] forward, double[] backward, int assets, int h)
    {
        for (var i = 0; i < forward.Length; i++)
        {
            var later = i + (h * assets);
            var expected = later < backward.Length ? backward[later] : double.NaN;
            if (double.IsNaN(expected) ? !double.IsNaN(forward[i]) : BitConverter.DoubleToInt64Bits(expected) != BitConverter.DoubleToInt64Bits(forward[i]))
            {
                return false;
            }
        }

        return true;
    }
}
