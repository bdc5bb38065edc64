using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Samplers;

namespace StrategyLab.Runtime.Tests.Search.Samplers;

public sealed class CmaEsSamplerTests
{
    private static readonly Direction[] Minimize = [Direction.Minimize];
    private static readonly double[] Centre = [1, -2, 0.5, 3];

    private static readonly SearchSpace Box = Trials.Floats(("x0", -5, 5), ("x1", -5, 5), ("x2", -5, 5), ("x3", -5, 5));

    // a convex quadratic: an ellipsoid with axis weights 1 to 1000, rotated by 45° in the (x0, x1) and (x2, x3) planes
    private static double Ellipsoid(IReadOnlyDictionary<string, ScalarValue> p)
    {
        var d = Enumerable.Range(0, 4).Select(i => p[$"x{i}"].Number - Centre[i]).ToArray();
        double[] u = [(d[0] + d[1]) / Math.Sqrt(2), (d[0] - d[1]) / Math.Sqrt(2), (d[2] + d[3]) / Math.Sqrt(2), (d[2] - d[3]) / Math.Sqrt(2)];
        return (u[0] * u[0]) + (10 * u[1] * u[1]) + (100 * u[2] * u[2]) + (1000 * u[3] * u[3]);
    }

    /// <summary>
    /// 800 trials (100 generations of 8) reach 1e-5 on the rotated ellipsoid from every seed. Over seeds 0..19
    /// the best values were 3e-11 to 5e-7 (median 4e-9); the cmaes 0.9.1 library (python3-cmaes) with the same
    /// start, step and bounds gave 2e-9 median and 4e-8 at worst. Random search is nowhere near.
    /// </summary>
    [Fact]
    public void ConvergesOnAConvexQuadratic()
    {
        for (var seed = 0; seed < 5; seed++)
        {
            var best = Trials.Run(new CmaEsSampler(), Box, p => [Ellipsoid(p)], 800, seed).Min(t => t.Values[0]);
            Assert.True(best < 1e-5, $"seed {seed}: best {best}");
        }
        Assert.True(Trials.Run(new RandomSampler(), Box, p => [Ellipsoid(p)], 800, 0).Min(t => t.Values[0]) > 0.1);
    }

    /// <summary>The search distribution lives in the trials: a new sampler (another worker) proposes what the one that ran the study would.</summary>
    [Fact]
    public void AFreshSamplerProposesWhatTheSamplerThatRanTheStudyProposes()
    {
        var sampler = new CmaEsSampler();
        var trials = Trials.Run(sampler, Box, p => [Ellipsoid(p)], 100, seed: 2);
        var warm = sampler.Propose(Box, Minimize, trials, new Random(5));
        var fresh = new CmaEsSampler().Propose(Box, Minimize, trials, new Random(5));
        Assert.Equal(warm.OrderBy(kv => kv.Key, StringComparer.Ordinal), fresh.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    /// <summary>Two workers taking turns on one study produce the very trials one worker would.</summary>
    [Fact]
    public void WorkersTakingTurnsOnOneStudyMatchASingleWorker()
    {
        var alone = Trials.Run(new CmaEsSampler(), Box, p => [Ellipsoid(p)], 60, seed: 9);
        ISampler[] workers = [new CmaEsSampler(), new CmaEsSampler()];
        var random = new Random(9);
        var shared = new List<FrozenTrial>();
        for (var n = 0; n < 60; n++)
        {
            var p = workers[n % 2].Propose(Box, Minimize, shared, random);
            shared.Add(Trials.Make(n, TrialState.Complete, p, [Ellipsoid(p)]));
        }
        Assert.Equal(alone.Select(t => t.Params), shared.Select(t => t.Params));
    }

    /// <summary>A generation is told only once λ = 8 trials are complete: with 7 the search still draws from its start.</summary>
    [Fact]
    public void APartialGenerationWaits()
    {
        var seven = Trials.Run(new CmaEsSampler(), Box, p => [Ellipsoid(p)], 7, seed: 1);
        var eight = Trials.Run(new CmaEsSampler(), Box, p => [Ellipsoid(p)], 8, seed: 1);
        Assert.Equal(new CmaEsSampler().Propose(Box, Minimize, [], new Random(4)), new CmaEsSampler().Propose(Box, Minimize, seven, new Random(4)));
        Assert.NotEqual(new CmaEsSampler().Propose(Box, Minimize, [], new Random(4)), new CmaEsSampler().Propose(Box, Minimize, eight, new Random(4)));
    }

    [Fact]
    public void CategoricalParametersAreDrawnAtRandomBesideTheSearch()
    {
        var space = new SearchSpace(
        [
            new SearchParameter("x", new FloatDistribution(-5, 5)),
            new SearchParameter("mode", new CategoricalDistribution([ScalarValue.Of("a"), ScalarValue.Of("b"), ScalarValue.Of("c")])),
            new SearchParameter("k", new IntDistribution(1, 64, Log: true)),
        ]);
        var trials = Trials.Run(new CmaEsSampler(), space, p => [Math.Abs(p["x"].Number) + Math.Abs(Math.Log(p["k"].Number / 8))], 200, seed: 3);
        var modes = trials.GroupBy(t => t.Params["mode"].Text).ToDictionary(g => g.Key!, g => g.Count());
        Assert.All(["a", "b", "c"], m => Assert.InRange(modes[m], 40, 95));
        Assert.InRange(trials.Skip(150).Select(t => t.Params["k"].Number).Order().ElementAt(25), 5, 13);
    }

    [Fact]
    public void TwoObjectivesAreRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new CmaEsSampler().Propose(Box, [Direction.Maximize, Direction.Minimize], [], new Random(0)));
        Assert.Equal("CMA-ES optimises one objective; this study has 2", error.Message);
    }
}
