using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using StrategyLab.Strategy.Dsl;

namespace StrategyLab.Bench;

/// <summary>
/// The .strat compiler on a generated 2,000-line strategy: parsing alone, checking plus lowering of the parsed
/// tree, and the whole compile. Run with <c>dotnet run -c Release --project bench/Bench -- --filter *DslBenchmarks*</c>.
/// </summary>
[MemoryDiagnoser]
public class DslBenchmarks
{
    private string _text = "";
    private Syntax.Program? _program;

    /// <summary>Returns a valid strategy of exactly <paramref name="lines"/> lines mixing every kind of statement.</summary>
    public static string Generate(int lines)
    {
        var sb = new StringBuilder();
        var count = 0;
        void Line(string s)
        {
            sb.Append(s).Append('\n');
            count++;
        }

        Line("strategy generated \"a generated strategy for the compiler benchmark\"");
        Line("data daily_top100");
        Line("bar 1h");
        Line("universe top 100 by market_cap");
        Line("def z(x, n) = (x - mean(x, n)) / std(x, n)");
        for (var i = 0; i < 50; i++)
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"param p{i} = {10 + (i % 20)} in 5..60"));
        }

        const int tail = 12;
        var lets = lines - count - tail;
        for (var i = 0; i < lets; i++)
        {
            var a = i >= 1 ? $"s{i - 1}" : "close";
            var b = i >= 4 ? $"s{i - 4}" : "volume";
            var expr = (i % 8) switch
            {
                0 => $"sma(close, p{i % 50}) / ema(close, {5 + (i % 30)}) - 1",
                1 => $"z({a}, 20) + rsi(close, {7 + (i % 20)}) / 100",
                2 => $"xs_rank(return(close, {1 + (i % 24)}h)) * {b}",
                3 => $"if {a} > 0 then macd_hist(close) else bb_upper(close, 20) - bb_lower(close, 20)",
                4 => $"mean({b}, 1d) + atr(period: 14) / close",
                5 => $"zscore(volume, {10 + (i % 40)}) * {a}[1]",
                6 => $"cci(period: {10 + (i % 10)}) + stoch_k() - stochrsi_k(close)",
                _ => $"greatest({a}, {b}) - least(obv(), {a})",
            };
            Line($"let s{i} = {expr}  # generated feature {i}");
        }

        Line("label up = xs_percentile(forward_return(close, 1)) > 0.5");
        Line($"model m = gbdt(inputs: [s{lets - 1}, s{lets - 2}, s{lets - 3}, s{lets - 4}], rounds: 100)");
        Line("    learn up");
        Line("    train walk_forward(train: 90d, test: 30d, purge: 1)");
        Line("signal score = m");
        Line("");
        Line("portfolio long top p0 by score, short bottom p0 by score, equal weight");
        Line("rebalance every 1d, keep while rank within p0 + p1");
        Line("costs fee 5 bps, slippage 2 bps");
        Line("risk max_position 10% of nav; daily_loss 3% of nav -> flatten and halt; max_drawdown 25% -> stop");
        Line("execution limit_maker(offset: 0.05%, timeout: 30s, retries: 4, shrink: 0.5), min_notional skip");
        Line("# end of the generated strategy");
        return sb.ToString();
    }

    /// <summary>Generates the text and parses it once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _text = Generate(2000);
        var (program, errors) = Parser.parse("generated.strat", _text);
        if (!errors.IsEmpty)
        {
            throw new InvalidOperationException("the generated strategy does not parse: " + errors.Head.Message);
        }

        _program = program;
    }

    /// <summary>Parses the 2,000 lines.</summary>
    [Benchmark]
    public Syntax.Program Parse() => Parser.parse("generated.strat", _text).Item1;

    /// <summary>Checks the parsed tree and lowers it to a plan: the number issue 2 asks for.</summary>
    [Benchmark]
    public object CheckAndLower()
    {
        var checkedResult = Check.check(_program!);
        return checkedResult.IsOk ? Lower.lower(checkedResult.ResultValue) : checkedResult;
    }

    /// <summary>Parses, checks and lowers, as <c>strategylab check</c> does.</summary>
    [Benchmark]
    public object Compile() => Compiler.compile("generated.strat", _text);
}
