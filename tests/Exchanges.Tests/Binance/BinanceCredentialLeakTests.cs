using System.Text.RegularExpressions;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Tests.Fakes;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Binance;

/// <summary>
/// Drives every failure path of the Binance client with known keys and checks that neither the key, nor the secret,
/// nor any signature reaches a log line, an error message or a rejected order's reason, even when the venue echoes
/// them back.
/// </summary>
public sealed partial class BinanceCredentialLeakTests
{
    private const string Key = "LeakCheckApiKey7f3c9a1e5b2d8f4a6c0e9b7d1f3a5c8e";
    private const string Secret = "LeakCheckSecret2b4d6f8a0c1e3a5c7e9b1d3f5a7c9e0b";
    private const string Symbol = "BTCUSDT";

    [GeneratedRegex("[0-9a-fA-F]{64}")]
    private static partial Regex SignatureShaped();

    [Fact]
    public async Task NoFailurePathShowsTheKeyTheSecretOrASignature()
    {
        var clock = new VirtualTimeProvider(new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero));
        var log = new ListLogger();
        await using var venue = await FakeBinanceFuturesVenue.StartAsync(Key, Secret);
        venue.Now = clock.GetUtcNow;
        venue.AddSymbol(new FakeSymbol(Symbol, 0.1m, 0.001m, 0.001m, 1000m, 5m));
        venue.SetBook(Symbol, [(99.9m, 1m)], [(100.1m, 1m)]);
        BinanceFuturesOptions Options() => new()
        {
            Environment = new BinanceEnvironment("fake", venue.Host.RestBase, venue.Host.StreamBase, IsTestnet: true),
            TimeProvider = clock,
            Logger = log,
            RequestTimeout = TimeSpan.FromMilliseconds(300),
            MaxRetries = 1,
        };
        using var exchange = new BinanceFuturesExchange(Options(), BinanceCredentials.Of(Key, Secret));
        using var wrongSecret = new BinanceFuturesExchange(Options(), BinanceCredentials.Of(Key, Secret + "x"));
        var order = new OrderRequest("leak-1", Symbol, OrderSide.Buy, OrderType.Limit, 0.5m, 99.5m, TimeInForce: TimeInForce.PostOnly);
        var messages = new List<string>();

        async Task Capture(Func<Task> call)
        {
            try
            {
                await call();
            }
            catch (Exception e)
            {
                messages.Add(e.ToString());
            }
        }

        // the venue echoes the credentials in its error message
        venue.Host.Fail("/fapi/v3/balance", InjectedFault.Error(401, -2015, $"Invalid API-key {Key} or secret {Secret}"));
        await Capture(async () => await exchange.Balances());
        venue.Host.Fail("/fapi/v3/balance", InjectedFault.TooManyRequests(3), times: 2);
        await Capture(async () => await exchange.Balances());
        venue.Host.Fail("/fapi/v3/balance", InjectedFault.Banned(60));
        await Capture(async () => await exchange.Balances());
        venue.Host.Fail("/fapi/v3/positionRisk", InjectedFault.ServerError(), times: 2);
        await Capture(async () => await exchange.Positions());
        venue.Host.Fail("/fapi/v1/openOrders", InjectedFault.Timeout(), times: 2);
        await Capture(async () => await exchange.OpenOrders(Symbol));
        venue.Host.Fail("/fapi/v1/openOrders", InjectedFault.DropConnection(), times: 2);
        await Capture(async () => await exchange.OpenOrders(Symbol));
        await Capture(async () => await wrongSecret.Balances());
        venue.Host.Fail("/fapi/v1/order", InjectedFault.DropConnection(afterProcessing: true));
        venue.Host.Fail("/fapi/v1/order", InjectedFault.ServerError(), times: 2);
        await Capture(async () => await exchange.Place(order));
        venue.Host.Fail("/fapi/v1/order", InjectedFault.Timeout());
        await Capture(async () => await exchange.Place(order with { ClientOrderId = "leak-2" }));
        var rejected = await exchange.Place(order with { ClientOrderId = "leak-3", Price = 100.2m });
        messages.Add(rejected.RejectReason ?? "");
        await Capture(async () => await exchange.Cancel(Symbol, "never-placed"));
        venue.Now = () => clock.GetUtcNow() + TimeSpan.FromSeconds(30);
        await Capture(async () => await exchange.Place(order with { ClientOrderId = "leak-4" }));
        venue.Host.Fail("/fapi/v1/listenKey", InjectedFault.Error(400, -1125, $"This listenKey does not exist for {Key}"), times: 1);
        await Capture(async () => await exchange.SetLeverage(Symbol, 500));
        messages.Add(BinanceCredentials.Of(Key, Secret).ToString());
        messages.Add(Options().ToString());

        var seen = messages.Concat(log.Messages).ToList();
        Assert.True(seen.Count >= 15, $"only {seen.Count} messages were produced");
        Assert.Contains(seen, m => m.Contains("[redacted]", StringComparison.Ordinal));
        foreach (var text in seen)
        {
            Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain("signature=", text, StringComparison.OrdinalIgnoreCase);
            Assert.False(SignatureShaped().IsMatch(text), $"a signature-shaped value in: {text}");
        }
    }
}
