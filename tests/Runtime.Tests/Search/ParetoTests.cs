using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Tests.Search.Samplers;

namespace StrategyLab.Runtime.Tests.Search;

public sealed class ParetoTests
{
    private static readonly Direction[] SharpeUpDrawdownDown = [Direction.Maximize, Direction.Minimize];

    private static FrozenTrial Scored(int number, double sharpe, double maxdd, TrialState state = TrialState.Complete) =>
        Trials.Make(number, state, values: [sharpe, maxdd], attributes: TrialMetrics.Attributes(new Dictionary<string, double> { ["sharpe"] = sharpe, ["maxdd"] = maxdd }));

    // by hand: 2 is beaten by 0 (lower Sharpe, deeper drawdown), 4 by 1; 5 ties 0; 6 is pruned, 7 has no Sharpe
    private static readonly List<FrozenTrial> Study =
    [
        Scored(0, 1.0, 0.20),
        Scored(1, 1.5, 0.30),
        Scored(2, 0.8, 0.25),
        Scored(3, 2.0, 0.50),
        Scored(4, 1.5, 0.35),
        Scored(5, 1.0, 0.20),
        Scored(6, 3.0, 0.10, TrialState.Pruned),
        Scored(7, double.NaN, 0.05),
        Scored(8, 0.5, 0.10),
    ];

    [Fact]
    public void TheFrontHoldsTheTrialsNoOtherBeatsInBothObjectives() =>
        Assert.Equal([0, 1, 3, 5, 8], ParetoFront.Of(Study, SharpeUpDrawdownDown).Select(t => t.Number));

    [Fact]
    public void UnderAConstraintTheFrontIsTakenAmongFeasibleTrials() =>
        Assert.Equal([0, 1, 5, 8], ParetoFront.Of(Study, SharpeUpDrawdownDown, ConstraintSet.Parse(["maxdd < 0.4"])).Select(t => t.Number));

    [Theory]
    [InlineData(1.0, 0.2, 0.9, 0.2, true)]
    [InlineData(1.0, 0.2, 1.0, 0.2, false)]
    [InlineData(1.0, 0.2, 0.9, 0.1, false)]
    [InlineData(1.1, 0.1, 1.0, 0.2, true)]
    public void DominanceFollowsTheDirections(double sharpeA, double ddA, double sharpeB, double ddB, bool expected) =>
        Assert.Equal(expected, ParetoFront.Dominates([sharpeA, ddA], [sharpeB, ddB], SharpeUpDrawdownDown));

    [Fact]
    public void SeedOnesAcceptanceBarParses()
    {
        var bar = ConstraintSet.Parse(["sharpe > 1", "mar >= 0.5", "maxdd < 25%", "turnover<=3", "k == 5"]);
        Assert.Equal(
            [new Constraint("sharpe", ConstraintOperator.Greater, 1), new Constraint("mar", ConstraintOperator.GreaterOrEqual, 0.5), new Constraint("maxdd", ConstraintOperator.Less, 0.25),
             new Constraint("turnover", ConstraintOperator.LessOrEqual, 3), new Constraint("k", ConstraintOperator.Equal, 5)],
            bar.Constraints.ToArray());
        Assert.All(bar.Constraints, c => Assert.Equal(c, ConstraintSet.Parse([c.ToString()]).Constraints[0]));
        Assert.Equal("maxdd < 0.25", bar.Constraints[2].ToString());
    }

    [Theory]
    [InlineData("", "constraint is empty; expected NAME OP NUMBER, e.g. 'maxdd < 0.25'")]
    [InlineData("maxdd <> 0.25", "constraint 'maxdd <> 0.25': expected one of < <= > >= == after 'maxdd', found '<>'")]
    [InlineData("maxdd 0.25", "constraint 'maxdd 0.25': expected one of < <= > >= == after 'maxdd', found '0.25'")]
    [InlineData("maxdd = 0.25", "constraint 'maxdd = 0.25': expected one of < <= > >= == after 'maxdd', found '='")]
    [InlineData("maxdd < abc", "constraint 'maxdd < abc': expected a number after 'maxdd <', found 'abc'")]
    [InlineData("maxdd <", "constraint 'maxdd <': expected a number after 'maxdd <', found 'nothing'")]
    [InlineData("< 0.25", "constraint '< 0.25': expected a metric name at the start, found '<'")]
    [InlineData("1x < 3", "constraint '1x < 3': expected a metric name at the start, found '1x'")]
    [InlineData("sharpe > 1 and", "constraint 'sharpe > 1 and': expected a number after 'sharpe >', found '1 and'")]
    [InlineData("sharpe > nan", "constraint 'sharpe > nan': expected a number after 'sharpe >', found 'nan'")]
    public void BadConstraintTextGetsAOneLineError(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => ConstraintSet.Parse([text]));
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void ChecksSayWhichBarIsMissedAndByHowMuch()
    {
        var bar = ConstraintSet.Parse(["sharpe > 1", "mar >= 0.5", "maxdd < 0.25", "calmar > 0"]);
        var checks = bar.Check(new Dictionary<string, double> { ["sharpe"] = 0.8, ["mar"] = 0.5, ["maxdd"] = 0.25 });
        Assert.Equal([false, true, false, false], checks.Select(c => c.Satisfied));
        // 1 − 0.8; met exactly; a strict bound met with equality misses by 0; a missing metric misses without end
        Assert.Equal(0.2, checks[0].Violation, 12);
        Assert.Equal([0.0, 0.0, double.PositiveInfinity], checks.Skip(1).Select(c => c.Violation));
        Assert.Null(checks[3].Value);
    }

    [Fact]
    public void ViolationOfATrialSumsWhatItMisses()
    {
        var bar = ConstraintSet.Parse(["sharpe > 1", "maxdd < 0.25"]);
        Assert.Equal(0, bar.Violation(Scored(0, 1.2, 0.2)));
        Assert.Equal(0.5 + 0.05, bar.Violation(Scored(1, 0.5, 0.3)), 12);
        // missing the strict bound by equality still counts as infeasible
        Assert.True(bar.Violation(Scored(2, 1.0, 0.2)) > 0);
        Assert.Equal(double.PositiveInfinity, bar.Violation(Trials.Make(3, TrialState.Complete, values: [1, 1])));
    }

    [Fact]
    public void MetricsRoundTripThroughAttributes()
    {
        var metrics = new Dictionary<string, double> { ["sharpe"] = 0.1 + 0.2, ["maxdd"] = 1e-300, ["mar"] = -7.25 };
        var trial = Trials.Make(0, TrialState.Complete, values: [1], attributes: TrialMetrics.Attributes(metrics));
        Assert.Equal("0.30000000000000004", trial.Attributes["metric:sharpe"]);
        Assert.Equal(metrics.OrderBy(m => m.Key, StringComparer.Ordinal), TrialMetrics.Read(trial).OrderBy(m => m.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void TheBestTrialIsTheBestFeasibleOne()
    {
        // Sharpe as the objective; seed 001's bar rules out 3 (drawdown 0.5) and 6 is pruned
        var bar = ConstraintSet.Parse(["sharpe > 1", "maxdd < 0.25"]);
        Assert.Equal(3, BestTrial.Select(Study, Direction.Maximize)!.Number);
        Assert.Null(BestTrial.Select(Study, Direction.Maximize, bar));
        var relaxed = ConstraintSet.Parse(["maxdd <= 0.3"]);
        Assert.Equal(1, BestTrial.Select(Study, Direction.Maximize, relaxed)!.Number);
        // by drawdown, lowest first: 7 (0.05; only the objective chosen must be a number), then 8 (0.10);
        // ties go to the lower number (0 before 5 at Sharpe 1.0)
        Assert.Equal(7, BestTrial.Select(Study, Direction.Minimize, objective: 1)!.Number);
        Assert.Equal(8, BestTrial.Select([.. Study.Where(t => t.Number != 7)], Direction.Minimize, objective: 1)!.Number);
        Assert.Equal(0, BestTrial.Select([.. Study.Where(t => t.Number is 0 or 5)], Direction.Maximize)!.Number);
    }
}
