using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Samplers;

namespace StrategyLab.Runtime.Tests.Search.Samplers;

/// <summary>What every sampler promises, on random spaces: ints and floats on linear and log scales, with and without steps, categoricals of numbers and texts, and parameters active only under a condition.</summary>
public sealed class SamplerContractTests
{
    private static readonly Direction[] Minimize = [Direction.Minimize];

    // a random space; `gridOnly` keeps to parameters with a grid (no continuous floats)
    internal static SearchSpace RandomSpace(Random r, bool gridOnly = false)
    {
        var parameters = new List<SearchParameter>();
        var count = r.Next(1, 6);
        for (var i = 0; i < count; i++)
        {
            var name = $"p{i}";
            Distribution d = r.Next(gridOnly ? 5 : 8) switch
            {
                0 => new IntDistribution(r.Next(-20, 20) is var lo ? lo : 0, lo + r.Next(0, 50), r.Next(1, 6)),
                1 => new IntDistribution(r.Next(1, 20) is var ll ? ll : 1, ll + r.Next(0, 1000), r.Next(1, 4), Log: true),
                2 => new FloatDistribution(r.Next(-8, 8) * 0.25, r.Next(8, 40) * 0.25, new[] { 0.1, 0.25, 0.5, 1.0 }[r.Next(4)]),
                3 => new FloatDistribution(0.5, 0.5 + r.Next(0, 30), 0.5, Log: true),
                4 => new CategoricalDistribution([.. Enumerable.Range(0, r.Next(1, 5)).Select(k => r.Next(2) == 0 ? ScalarValue.Of($"c{k}") : ScalarValue.Of(k * 1.5))]),
                5 => new FloatDistribution((r.NextDouble() * 20) - 10, 10 + (r.NextDouble() * 10)),
                6 => new FloatDistribution(1e-4 * (1 + r.NextDouble()), 0.01 + (r.NextDouble() * 100), Log: true),
                _ => new FloatDistribution(3, 3),
            };
            ParameterCondition? when = null;
            var categoricals = parameters.Where(p => p.Distribution is CategoricalDistribution).ToList();
            if (categoricals.Count > 0 && r.Next(10) < 4)
            {
                var parent = categoricals[r.Next(categoricals.Count)];
                var choices = ((CategoricalDistribution)parent.Distribution).Choices;
                when = new ParameterCondition(parent.Name, [.. choices.Where(_ => r.Next(2) == 0).DefaultIfEmpty(choices[0])]);
            }
            parameters.Add(new SearchParameter(name, d, when));
        }
        return new SearchSpace([.. parameters]);
    }

    // exactly the active parameters, each with a value its distribution can give
    internal static bool IsValid(SearchSpace space, IReadOnlyDictionary<string, ScalarValue> proposal, out string problem)
    {
        var seen = new Dictionary<string, ScalarValue>();
        foreach (var p in space.Parameters)
        {
            var active = SearchSpace.IsActive(p, seen);
            var has = proposal.TryGetValue(p.Name, out var v);
            if (active != has)
            {
                problem = $"{p.Name} active {active} but proposed {has}";
                return false;
            }
            if (has)
            {
                if (!p.Distribution.Contains(v))
                {
                    problem = $"{p.Name} = {v} outside {p.Distribution}";
                    return false;
                }
                seen[p.Name] = v;
            }
        }
        problem = proposal.Count == seen.Count ? "" : "proposal names a parameter the space lacks";
        return proposal.Count == seen.Count;
    }

    // a deterministic objective of the parameters: numbers summed with weights, texts by their length
    private static double Objective(IReadOnlyDictionary<string, ScalarValue> p) =>
        p.Sum(kv => (kv.Value.IsText ? kv.Value.Text!.Length : Math.Sin(kv.Value.Number) + (0.01 * kv.Value.Number)) * (kv.Key.Length + 1));

    private static bool Study(ISampler sampler, SearchSpace space, int seed, int count, out string problem)
    {
        var random = new Random(seed);
        var trials = new List<FrozenTrial>();
        for (var n = 0; n < count; n++)
        {
            var p = sampler.Propose(space, Minimize, trials, random);
            if (!IsValid(space, p, out problem))
                return false;
            // a mix of states: pruned with intermediate values, failed, some left running
            var state = n % 7 == 3 ? TrialState.Pruned : n % 11 == 5 ? TrialState.Failed : n % 13 == 8 ? TrialState.Running : TrialState.Complete;
            var value = Objective(p);
            trials.Add(Trials.Make(n, state, p, state == TrialState.Complete ? [value] : null,
                state == TrialState.Pruned ? new Dictionary<int, double> { [0] = value, [1] = value / 2 } : null));
        }
        problem = "";
        return true;
    }

    public static TheoryData<string> Samplers => ["random", "tpe", "tpe_multivariate", "tpe_exact", "cmaes"];

    private static ISampler Make(string name) => name switch
    {
        "random" => new RandomSampler(),
        "tpe" => new TpeSampler(new TpeOptions { StartupTrials = 5 }),
        "tpe_multivariate" => new TpeSampler(new TpeOptions { StartupTrials = 5, Multivariate = true }),
        "tpe_exact" => new TpeSampler(new TpeOptions { StartupTrials = 5, WeighKernelsByBandwidth = false }),
        _ => new CmaEsSampler(new CmaEsOptions { PopulationSize = 4 }),
    };

    [Theory]
    [MemberData(nameof(Samplers))]
    public void ProposesOnlyActiveParametersWithValuesInsideTheirDistributions(string sampler)
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var space = RandomSpace(new Random(seed));
            return Study(Make(sampler), space, seed, 30, out var problem) ? true.Label("ok") : false.Label(problem);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(50));
    }

    [Fact]
    public void GridProposesDistinctValidPointsUntilItsGridIsExhausted()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var space = RandomSpace(new Random(seed), gridOnly: true);
            var size = GridSampler.Size(space);
            if (size > 300)
                return true.Label("grid too large to walk here");
            var sampler = new GridSampler();
            var random = new Random(seed);
            var trials = new List<FrozenTrial>();
            var keys = new HashSet<string>();
            for (var n = 0; n < size; n++)
            {
                var p = sampler.Propose(space, Minimize, trials, random);
                if (!IsValid(space, p, out var problem))
                    return false.Label(problem);
                if (!keys.Add(string.Join(";", p.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"))))
                    return false.Label("a point came twice");
                trials.Add(Trials.Make(n, n % 3 == 0 ? TrialState.Running : TrialState.Complete, p, [0.0]));
            }
            return GridSampler.IsExhausted(space, trials).Label("exhausted after every point");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Theory]
    [MemberData(nameof(Samplers))]
    public void SameTrialsAndSeedGiveTheSameProposal(string sampler)
    {
        // continuous parameters, so that another seed cannot land on the same point
        var space = new SearchSpace(
        [
            new SearchParameter("kind", new CategoricalDistribution([ScalarValue.Of("ema"), ScalarValue.Of("sma")])),
            new SearchParameter("span", new FloatDistribution(2, 200, Log: true)),
            new SearchParameter("alpha", new FloatDistribution(0, 1), new ParameterCondition("kind", [ScalarValue.Of("ema")])),
            new SearchParameter("k", new IntDistribution(1, 9, 2)),
        ]);
        var history = Trials.Run(Make(sampler), space, p => [Objective(p)], 24, seed: 3);
        var first = Make(sampler).Propose(space, Minimize, history, new Random(99));
        var again = Make(sampler).Propose(space, Minimize, history, new Random(99));
        Assert.Equal(first.OrderBy(kv => kv.Key, StringComparer.Ordinal), again.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        var other = Make(sampler).Propose(space, Minimize, history, new Random(100));
        Assert.NotEqual(first.OrderBy(kv => kv.Key, StringComparer.Ordinal), other.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void AnUnusableSpaceIsRefusedInOneLine()
    {
        var log0 = new SearchSpace([new SearchParameter("lr", new FloatDistribution(0, 1, Log: true))]);
        var error = Assert.Throws<ArgumentException>(() => new TpeSampler().Propose(log0, Minimize, [], new Random(1)));
        Assert.Equal("parameter 'lr': a log scale needs a low bound above 0, found 0", error.Message);
        var forward = new SearchSpace([new SearchParameter("span", new IntDistribution(1, 5), new ParameterCondition("kind", [ScalarValue.Of("ema")])), new SearchParameter("kind", new CategoricalDistribution([ScalarValue.Of("ema")]))]);
        error = Assert.Throws<ArgumentException>(() => new RandomSampler().Propose(forward, Minimize, [], new Random(1)));
        Assert.Equal("parameter 'span': its condition names 'kind', which is not a parameter before it", error.Message);
        var reversed = new SearchSpace([new SearchParameter("k", new IntDistribution(5, 1))]);
        error = Assert.Throws<ArgumentException>(() => new CmaEsSampler().Propose(reversed, Minimize, [], new Random(1)));
        Assert.Equal("parameter 'k': low 5 is above high 1", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
