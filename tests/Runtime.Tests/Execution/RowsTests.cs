using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Tests.Execution;

// the row steps run a vector at a time; they must give the element-by-element loop's values to the bit
public sealed class RowsTests
{
    private static readonly double[] Values = [0.0, -0.0, 1.5, -1.5, 0.25, -0.25, double.NaN, 3, -3, 1e-300];

    private static Arbitrary<double[]> Rows() =>
        (from n in Gen.Choose(0, 40) from xs in Gen.ArrayOf(Gen.Elements(Values), n) select xs).ToArbitrary();

    private static bool SameBits(double[] x, double[] y) =>
        x.Length == y.Length && x.Zip(y).All(p => BitConverter.DoubleToInt64Bits(p.First) == BitConverter.DoubleToInt64Bits(p.Second));

    [Fact]
    public void CarryingPricesForwardKeepsTheLastWhereThereIsNone()
    {
        Prop.ForAll(Rows(), Rows(), (last, latest) =>
        {
            var n = Math.Min(last.Length, latest.Length);
            var expected = last[..n];
            for (var i = 0; i < n; i++)
                expected[i] = double.IsNaN(latest[i]) ? expected[i] : latest[i];
            var actual = last[..n];
            StrategyLab.Runtime.Execution.Rows.CarryForward(actual, latest.AsSpan(0, n));
            return SameBits(expected, actual);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void MissingTargetsAreFlatAndTheOthersKept()
    {
        Prop.ForAll(Rows(), source =>
        {
            var expected = source.Select(x => double.IsNaN(x) ? 0 : x).ToArray();
            var actual = new double[source.Length];
            StrategyLab.Runtime.Execution.Rows.ZeroMissing(source, actual);
            return SameBits(expected, actual);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void ClampingGivesMathClampsValuesZerosIncluded()
    {
        Prop.ForAll(Rows(), Gen.Elements(0.0, 0.25, 1.0, 2.0).ToArbitrary(), (row, bound) =>
        {
            var values = row.Select(x => double.IsNaN(x) ? 0 : x).ToArray();
            var expected = values.Select(x => Math.Clamp(x, -bound, bound)).ToArray();
            StrategyLab.Runtime.Execution.Rows.Clamp(values, bound);
            return SameBits(expected, values);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }
}
