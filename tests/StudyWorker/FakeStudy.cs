using System.Collections.Immutable;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.StudyWorker;

/// <summary>The study the worker runs: two parameters, one objective computed from them, no backtest.</summary>
public static class FakeStudy
{
    /// <summary>The search space: x in 0..1000, kind a or b.</summary>
    public static SearchSpace Space { get; } = new(
    [
        new SearchParameter("x", new IntDistribution(0, 1000)),
        new SearchParameter("kind", new CategoricalDistribution([ScalarValue.Of("a"), ScalarValue.Of("b")])),
    ]);

    /// <summary>The study's definition under <paramref name="name"/>.</summary>
    public static StudyDefinition Definition(string name) => new(
        Name: name,
        StrategyName: "fake",
        StrategyHash: "f00d",
        StrategySource: "strategy fake",
        DatasetName: "none",
        DataHash: "0",
        Space: Space,
        Directions: [Direction.Minimize],
        Objectives: ["loss"],
        Constraints: "",
        SamplerName: "fixed",
        SamplerSeed: null,
        Created: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        ProgramVersion: "test");

    /// <summary>The parameters a worker seeded <paramref name="seed"/> gives its <paramref name="index"/>-th new trial.</summary>
    public static ImmutableDictionary<string, ScalarValue> Parameters(int seed, int index) => new Dictionary<string, ScalarValue>
    {
        ["x"] = ScalarValue.Of((seed * 7919L + index * 104729L) % 1001),
        ["kind"] = ScalarValue.Of((seed + index) % 2 == 0 ? "a" : "b"),
    }.ToImmutableDictionary();

    /// <summary>The objective: (x - 500)² / 1000, plus 0.5 for kind b.</summary>
    public static double Loss(IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        var x = parameters["x"].Number;
        return (x - 500) * (x - 500) / 1000 + (parameters["kind"].Text == "b" ? 0.5 : 0);
    }
}
