using System.Globalization;
using System.Text.Json.Nodes;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Reports;
using StrategyLab.Runtime.Search.Storage;
using static StrategyLab.Runtime.Tests.Search.Reports.StudyFixtures;

namespace StrategyLab.Runtime.Tests.Search.Reports;

public sealed class StudyExportTests
{
    // a complete trial, a pruned one, a failed retry and a complete one whose objective is NaN
    private static List<FrozenTrial> FourTrials() =>
    [
        Trial(0, TrialState.Complete, Params(5, "ema", 0.1 + 0.2), [1.5], new Dictionary<string, double> { ["sharpe"] = 1.5, ["maxdd"] = 0.2 },
            new Dictionary<int, double> { [0] = 1.25, [1] = 1.75 }, new Dictionary<string, string> { ["worker"] = "w1" }, 2.5),
        Trial(1, TrialState.Pruned, Params(3, "sma", 0.5), [], intermediate: new Dictionary<int, double> { [0] = -0.5 },
            attributes: new Dictionary<string, string> { ["worker"] = "host,1" }),
        Trial(2, TrialState.Failed, Params(10, "ema"), [],
            attributes: new Dictionary<string, string> { ["worker"] = "w1", ["reason"] = "parameter k: say \"no\"", ["retry_of"] = "1", ["attempt"] = "2" }, seconds: 0.25),
        Trial(3, TrialState.Complete, Params(4, "sma", 0.9), [double.NaN], new Dictionary<string, double> { ["sharpe"] = double.NaN, ["trades"] = 12 }, seconds: 3),
    ];

    [Fact]
    public void TheCsvHasOneRowPerTrialWithObjectivesParametersMetricsTimesAndWhyAFailedTrialFailed()
    {
        var csv = StudyExport.Csv(Study(), [.. FourTrials().AsEnumerable().Reverse()]);
        const string Expected =
            "number,state,value:sharpe,param:k,param:kind,param:w,metric:sharpe,metric:sortino,metric:return,metric:cagr,metric:calmar,metric:mar,"
            + "metric:maxdd,metric:volatility,metric:trades,metric:win_rate,metric:profit_factor,metric:turnover,started,finished,duration,worker,retry_of,reason\n"
            + "0,complete,1.5,5,ema,0.30000000000000004,1.5,,,,,,0.2,,,,,,2026-01-02T03:04:05.0000000Z,2026-01-02T03:04:07.5000000Z,2.5,w1,,\n"
            + "1,pruned,,3,sma,0.5,,,,,,,,,,,,,2026-01-02T03:05:05.0000000Z,2026-01-02T03:05:06.0000000Z,1,\"host,1\",,\n"
            + "2,failed,,10,ema,,,,,,,,,,,,,,2026-01-02T03:06:05.0000000Z,2026-01-02T03:06:05.2500000Z,0.25,w1,1,\"parameter k: say \"\"no\"\"\"\n"
            + "3,complete,,4,sma,0.9,,,,,,,,,12,,,,2026-01-02T03:07:05.0000000Z,2026-01-02T03:07:08.0000000Z,3,,,\n";
        Assert.Equal(Expected, csv);
        // the round-trip form parses back to the very double
        Assert.Equal(0.1 + 0.2, double.Parse(csv.Split('\n')[1].Split(',')[5], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void TheJsonDocumentHoldsTheDefinitionAndEveryTrialWithNaNAsNull()
    {
        var study = Study("maxdd < 0.5");
        var text = StudyExport.Json(study, FourTrials());
        var document = JsonNode.Parse(text)!.AsObject();
        // the search space is storage's canonical JSON, checked by the storage tests
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(StudyJson.Space(study.Definition.Space)), document["study"]!["space"]));
        document["study"]!.AsObject().Remove("space");
        const string Expected = """
            {
              "study": {
                "name": "tiny",
                "strategy": { "name": "momentum", "hash": "0123456789abcdef0123" },
                "dataset": { "name": "daily_top100", "hash": "data-hash" },
                "objectives": [ { "metric": "sharpe", "direction": "maximize" } ],
                "constraints": [ "maxdd < 0.5" ],
                "sampler": { "name": "random", "seed": 7 },
                "created": "2026-01-01T03:04:05.0000000Z",
                "program_version": "1.2.3",
                "trials_by_state": { "waiting": 0, "running": 0, "complete": 2, "pruned": 1, "failed": 1 },
                "best_trial": 0
              },
              "trials": [
                {
                  "number": 0, "state": "complete",
                  "params": { "k": 5, "kind": "ema", "w": 0.30000000000000004 },
                  "values": [ 1.5 ],
                  "intermediate": { "0": 1.25, "1": 1.75 },
                  "metrics": { "maxdd": 0.2, "sharpe": 1.5 },
                  "started": "2026-01-02T03:04:05.0000000Z", "finished": "2026-01-02T03:04:07.5000000Z", "duration": 2.5,
                  "attributes": { "metric:maxdd": "0.2", "metric:sharpe": "1.5", "worker": "w1" }
                },
                {
                  "number": 1, "state": "pruned",
                  "params": { "k": 3, "kind": "sma", "w": 0.5 },
                  "values": [],
                  "intermediate": { "0": -0.5 },
                  "metrics": {},
                  "started": "2026-01-02T03:05:05.0000000Z", "finished": "2026-01-02T03:05:06.0000000Z", "duration": 1,
                  "attributes": { "worker": "host,1" }
                },
                {
                  "number": 2, "state": "failed",
                  "params": { "k": 10, "kind": "ema" },
                  "values": [],
                  "intermediate": {},
                  "metrics": {},
                  "started": "2026-01-02T03:06:05.0000000Z", "finished": "2026-01-02T03:06:05.2500000Z", "duration": 0.25,
                  "attributes": { "attempt": "2", "reason": "parameter k: say \"no\"", "retry_of": "1", "worker": "w1" }
                },
                {
                  "number": 3, "state": "complete",
                  "params": { "k": 4, "kind": "sma", "w": 0.9 },
                  "values": [ null ],
                  "intermediate": {},
                  "metrics": { "sharpe": null, "trades": 12 },
                  "started": "2026-01-02T03:07:05.0000000Z", "finished": "2026-01-02T03:07:08.0000000Z", "duration": 3,
                  "attributes": { "metric:sharpe": "NaN", "metric:trades": "12" }
                }
              ]
            }
            """;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Expected), document), document.ToJsonString());
        Assert.Contains("\"w\": 0.30000000000000004", text, StringComparison.Ordinal);
        Assert.Equal(0.1 + 0.2, document["trials"]![0]!["params"]!["w"]!.GetValue<double>());
        Assert.DoesNotContain("source", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TheStrategySourceIsInTheDocumentOnlyWhenAskedFor()
    {
        var document = StudyExport.Document(Study(), FourTrials(), withSource: true);
        Assert.Equal("strategy momentum \"m\"\n", document["study"]!["strategy"]!["source"]!.GetValue<string>());
    }

    [Fact]
    public void ATwoObjectiveDocumentListsTheParetoFront()
    {
        var trials = new List<FrozenTrial>
        {
            Trial(0, TrialState.Complete, Params(5, "ema", 0.2), [1.0, 0.3]),
            Trial(1, TrialState.Complete, Params(6, "ema", 0.2), [2.0, 0.4]),
            Trial(2, TrialState.Complete, Params(7, "ema", 0.2), [0.5, 0.35]),
        };
        var document = StudyExport.Document(Study("", "sharpe", "maxdd"), trials);
        // trial 2 is beaten by trial 0 in both (lower Sharpe, higher drawdown)
        Assert.Equal("[0,1]", document["study"]!["pareto_front"]!.ToJsonString());
        Assert.Equal(1, document["study"]!["best_trial"]!.GetValue<int>());
        Assert.Null(StudyExport.Document(Study(), trials)["study"]!["pareto_front"]);
    }
}
