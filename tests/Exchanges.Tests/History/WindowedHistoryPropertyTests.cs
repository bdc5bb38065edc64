using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Exchanges.Bybit;
using StrategyLab.Exchanges.History;
using StrategyLab.Exchanges.Mexc;
using StrategyLab.Exchanges.Tests.Bybit;
using StrategyLab.Exchanges.Tests.Mexc;

namespace StrategyLab.Exchanges.Tests.History;

/// <summary>
/// Whatever the page size, the venue's clock against ours, the start, and wherever a run is killed (leaving a partial
/// line), running a Bybit or MEXC download again ends with exactly the venue's closed bars, in the dataset layout.
/// </summary>
public sealed class WindowedHistoryPropertyTests
{
    private const long Minute = 60_000;
    private static readonly DateTimeOffset Now = new(2024, 6, 1, 0, 0, 30, TimeSpan.Zero);

    public sealed record Scenario(int Bars, int PageSize, int KillAfterPages, int PartialLength, int ClockOffsetSeconds, int StartOffsetMinutes, int Seed)
    {
        public override string ToString() =>
            $"{Bars} bars, page {PageSize}, kill after {KillAfterPages} pages, partial {PartialLength}, venue clock {ClockOffsetSeconds:+0;-0} s, start {StartOffsetMinutes} min before the first bar, seed {Seed}";
    }

    private static readonly Gen<Scenario> Scenarios =
        from bars in Gen.Choose(1, 120)
        from page in Gen.Choose(1, 40)
        from kill in Gen.Choose(0, 3)
        from partial in Gen.Choose(1, 40)
        from offset in Gen.Choose(-90, 90)
        from start in Gen.Choose(0, 45)
        from seed in Gen.Choose(1, 1_000_000)
        select new Scenario(bars, page, kill, partial, offset, start, seed);

    [Fact]
    public void ABybitDownloadEndsWithExactlyTheVenuesClosedBars() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(15), Prop.ForAll(Scenarios.ToArbitrary(), s => RunBybit(s).GetAwaiter().GetResult()));

    [Fact]
    public void AMexcDownloadEndsWithExactlyTheVenuesClosedBars() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(15), Prop.ForAll(Scenarios.ToArbitrary(), s => RunMexc(s).GetAwaiter().GetResult()));

    // minute bars ending with the one open at the venue's now; each line as the file must hold it
    private static (long Start, string[] Values, string Line)[] Bars(Scenario s, long venueNow, decimal contractSize)
    {
        var random = new Random(s.Seed);
        var last = venueNow - (venueNow % Minute);
        return
        [
            .. Enumerable.Range(0, s.Bars).Select(i =>
            {
                var start = last - ((s.Bars - 1 - i) * Minute);
                var open = 60_000m + (random.Next(0, 200_000) / 10m);
                var close = open + (random.Next(-5_000, 5_000) / 100m);
                var high = Math.Max(open, close) + (random.Next(0, 1_000) / 100m);
                var low = Math.Min(open, close) - (random.Next(0, 1_000) / 100m);
                var volume = random.Next(1, 100_000);
                var turnover = volume * close / 7m;
                string[] values = [Text(open), Text(high), Text(low), Text(close), Text(volume), Text(Math.Round(turnover, 4))];
                var line = string.Join(',', Text(start), values[0], values[1], values[2], values[3], Text(volume * contractSize), Text(start + Minute - 1), values[5]);
                return (start, values, line);
            }),
        ];
    }

    private static async Task<bool> RunBybit(Scenario s)
    {
        var clock = new VirtualTimeProvider(Now);
        await using var venue = await FakeBybitVenue.StartAsync("property-key", "property-secret");
        venue.Now = () => clock.GetUtcNow() + TimeSpan.FromSeconds(s.ClockOffsetSeconds);
        var bars = Bars(s, venue.Now().ToUnixTimeMilliseconds(), 1m);
        foreach (var bar in bars)
        {
            venue.AddHistoryKline("BTCUSDT", "1", bar.Start, bar.Values);
        }

        var options = BybitConformanceTests.Options(venue) with { TimeProvider = clock, Jitter = () => 0.5 };
        return await Run(s, venue.Now, bars, () => new BybitHistory(options, s.PageSize));
    }

    private static async Task<bool> RunMexc(Scenario s)
    {
        var clock = new VirtualTimeProvider(Now);
        await using var venue = await FakeMexcVenue.StartAsync("property-key", "property-secret");
        venue.Now = () => clock.GetUtcNow() + TimeSpan.FromSeconds(s.ClockOffsetSeconds);
        var bars = Bars(s, venue.Now().ToUnixTimeMilliseconds(), FakeMexcVenue.ContractSize);
        foreach (var bar in bars)
        {
            venue.AddHistoryKline(FakeMexcVenue.Symbol, "Min1", bar.Start / 1000, bar.Values);
        }

        var options = MexcConformanceTests.Options(venue) with { TimeProvider = clock, Jitter = () => 0.5 };
        return await Run(s, venue.Now, bars, () => new MexcHistory(options, s.PageSize));
    }

    private static async Task<bool> Run(Scenario s, Func<DateTimeOffset> venueNow, (long Start, string[] Values, string Line)[] bars, Func<IVenueHistory> history)
    {
        var directory = Path.Combine(Path.GetTempPath(), "strategylab-windowed-prop-" + Guid.NewGuid().ToString("N"));
        try
        {
            var from = DateTimeOffset.FromUnixTimeMilliseconds(bars[0].Start) - TimeSpan.FromMinutes(s.StartOffsetMinutes);
            var request = new KlineDownloadRequest(["BTCUSDT"], "1m", from, null, directory);
            var file = Path.Combine(directory, "BTCUSDT-1m.csv");
            if (s.KillAfterPages > 0)
            {
                using var cancellation = new CancellationTokenSource();
                var pages = 0;
                var progress = new Progress(p =>
                {
                    if (p.RowsWritten > 0 && ++pages >= s.KillAfterPages)
                    {
                        cancellation.Cancel();
                    }
                });
                using var killed = history();
                try
                {
                    await killed.DownloadKlinesAsync(request, progress, cancellation.Token);
                }
                catch (OperationCanceledException)
                {
                }

                var written = File.ReadAllLines(file).Length - 1;
                var next = written < bars.Length ? bars[written].Line : "9999999999999,1";
                await File.AppendAllTextAsync(file, next[..Math.Min(s.PartialLength, next.Length - 1)]);
            }

            using (var again = history())
            {
                await again.DownloadKlinesAsync(request);
            }

            // every bar closed by the venue's clock, none still open, byte for byte
            var closedBy = venueNow().ToUnixTimeMilliseconds();
            string[] expected = [HistoryFiles.KlineHeader, .. bars.Where(b => b.Start + Minute - 1 < closedBy).Select(b => b.Line)];
            return File.ReadAllText(file) == string.Join('\n', expected) + "\n";
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static string Text(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class Progress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
