using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Samplers;

namespace StrategyLab.Runtime.Tests.Search.Samplers;

public sealed class GridSamplerTests
{
    private static readonly Direction[] Minimize = [Direction.Minimize];

    // kind ∈ {ema, sma}; span ∈ {2, 6, 10}; alpha ∈ {0.1, 0.2, 0.3} only for ema; mode ∈ {1, 2}:
    // 3 × 3 × 2 = 18 points with ema and 3 × 2 = 6 with sma, 24 in all
    private static readonly SearchSpace Space = new(
    [
        new SearchParameter("kind", new CategoricalDistribution([ScalarValue.Of("ema"), ScalarValue.Of("sma")])),
        new SearchParameter("span", new IntDistribution(2, 10, 4)),
        new SearchParameter("alpha", new FloatDistribution(0.1, 0.3, 0.1), new ParameterCondition("kind", [ScalarValue.Of("ema")])),
        new SearchParameter("mode", new CategoricalDistribution([ScalarValue.Of(1), ScalarValue.Of(2)])),
    ]);

    private static string Key(IReadOnlyDictionary<string, ScalarValue> p) =>
        string.Join(" ", p.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={(kv.Value.IsText ? kv.Value.Text : Math.Round(kv.Value.Number, 9).ToString(System.Globalization.CultureInfo.InvariantCulture))}"));

    private static List<string> HandListedPoints()
    {
        var points = new List<string>();
        foreach (var kind in new[] { "ema", "sma" })
            foreach (var span in new[] { 2, 6, 10 })
                foreach (var alpha in kind == "ema" ? new double?[] { 0.1, 0.2, 0.3 } : [null])
                    foreach (var mode in new[] { 1, 2 })
                    {
                        var p = new Dictionary<string, ScalarValue> { ["kind"] = ScalarValue.Of(kind), ["span"] = ScalarValue.Of(span), ["mode"] = ScalarValue.Of(mode) };
                        if (alpha is { } a)
                            p["alpha"] = ScalarValue.Of(a);
                        points.Add(Key(p));
                    }
        return points;
    }

    [Fact]
    public void ProposesEveryPointOnceInLexicographicOrderThenSaysTheGridIsExhausted()
    {
        var sampler = new GridSampler();
        var trials = new List<FrozenTrial>();
        Assert.Equal(24, GridSampler.Size(Space));
        for (var n = 0; n < 24; n++)
        {
            Assert.Equal(24 - n, GridSampler.Remaining(Space, trials));
            trials.Add(Trials.Make(n, TrialState.Complete, sampler.Propose(Space, Minimize, trials, new Random(n)), [n]));
        }
        Assert.Equal(HandListedPoints(), trials.Select(t => Key(t.Params)));
        Assert.True(GridSampler.IsExhausted(Space, trials));
        var error = Assert.Throws<GridExhaustedException>(() => sampler.Propose(Space, Minimize, trials, new Random(0)));
        Assert.Equal("every one of the 24 grid points is taken by a trial", error.Message);
    }

    [Fact]
    public void PointsHeldByRunningOrFailedTrialsAreTakenAndOffGridTrialsHoldNone()
    {
        var first = new Dictionary<string, ScalarValue> { ["kind"] = ScalarValue.Of("ema"), ["span"] = ScalarValue.Of(2), ["alpha"] = ScalarValue.Of(0.1), ["mode"] = ScalarValue.Of(1) };
        var second = new Dictionary<string, ScalarValue>(first) { ["mode"] = ScalarValue.Of(2) };
        var offGrid = new Dictionary<string, ScalarValue>(first) { ["span"] = ScalarValue.Of(3) };
        var inactiveGiven = new Dictionary<string, ScalarValue> { ["kind"] = ScalarValue.Of("sma"), ["span"] = ScalarValue.Of(2), ["alpha"] = ScalarValue.Of(0.1), ["mode"] = ScalarValue.Of(1) };
        List<FrozenTrial> trials =
        [
            Trials.Make(0, TrialState.Running, first),
            Trials.Make(1, TrialState.Failed, second),
            Trials.Make(2, TrialState.Complete, offGrid, [1]),
            Trials.Make(3, TrialState.Complete, inactiveGiven, [1]),
        ];
        var next = new GridSampler().Propose(Space, Minimize, trials, new Random(0));
        Assert.Equal("alpha=0.2 kind=ema mode=1 span=2", Key(next));
        Assert.Equal(22, GridSampler.Remaining(Space, trials));
    }

    [Fact]
    public void AContinuousFloatHasNoGrid()
    {
        var space = new SearchSpace([new SearchParameter("x", new FloatDistribution(0, 1))]);
        var error = Assert.Throws<ArgumentException>(() => new GridSampler().Propose(space, Minimize, [], new Random(0)));
        Assert.Equal("parameter 'x': a grid needs int, categorical or stepped float parameters; give this float a step", error.Message);
    }
}
