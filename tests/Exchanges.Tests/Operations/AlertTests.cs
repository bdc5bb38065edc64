using System.Collections;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StrategyLab.Operations.Alerts;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Tests.Operations;

/// <summary>
/// Alerts to a local receiver that takes Slack's incoming-webhook shape (a JSON object with a text) and Telegram's
/// Bot API sendMessage (chat_id and text, answered with ok): what is told, in what shape, and that the webhook URL and
/// the bot token appear in no log line.
/// </summary>
public sealed class AlertTests : IAsyncLifetime
{
    private const string SlackSecret = "T0SECRET/B0SECRET/webhook-secret-4711";
    private const string Token = "123456:bot-token-secret-0815";
    private const string Chat = "-100200300";
    private static readonly long Day = 86_400_000L;
    private static readonly long Monday = new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private readonly ConcurrentQueue<(string Path, string ContentType, string Body)> _received = new();
    private readonly HttpClient _http = new();
    private WebApplication _receiver = null!;
    private int _port;

    /// <summary>What the Slack path answers.</summary>
    private int SlackStatus { get; set; } = 200;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _receiver = builder.Build();
        _receiver.MapPost("/services/{*rest}", async (HttpContext http) =>
        {
            _received.Enqueue((http.Request.Path, http.Request.ContentType ?? "", await new StreamReader(http.Request.Body).ReadToEndAsync()));
            return Results.Text("ok", statusCode: SlackStatus);
        });
        _receiver.MapPost("/{bot}/sendMessage", async (HttpContext http) =>
        {
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            _received.Enqueue((http.Request.Path, http.Request.ContentType ?? "", body));
            using var json = JsonDocument.Parse(body);
            return Results.Json(new { ok = true, result = new { message_id = _received.Count, date = 1, chat = new { id = long.Parse(Chat), type = "group" }, text = json.RootElement.GetProperty("text").GetString() } });
        });
        await _receiver.StartAsync();
        _port = new Uri(_receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _receiver.StopAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task FillsHaltsErrorsLongDisconnectsAndTheDailySummaryReachSlackAndTelegramInTheirShapes()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(Monday + (23 * 3_600_000L)));
        var log = new ConcurrentQueue<string>();
        var notifier = new AlertNotifier(AlertSettings.Channels(_http, envFile: null, Environment()), log.Enqueue, clock);
        var deployment = new Deployment("momentum", "hash", "binance-usdm", 3);

        notifier.Started(deployment, 10_000);
        notifier.Stepped(Step(Monday + (22 * 3_600_000L), 10_000));
        notifier.OrderChanged(new OrderState("sl1-a", "1", "BTCUSDT", OrderSide.Buy, OrderType.Market, 0.5m, 0.5m, null, 100m, OrderStatus.Filled, clock.Now));
        notifier.Filled(new JournalFill("t1", "sl1-a", "BTCUSDT", 0.5m, 100.1m, 0.025m, "USDT", clock.Now));
        notifier.RiskFired(new RiskEvent(4, "daily_loss", "equity 9,600.00 is more than 3.0% below the day's start 10,000.00"), Monday);
        notifier.RiskFired(new RiskEvent(4, "stop_loss", "BTCUSDT stopped out", Asset: 0), Monday);
        notifier.Failed("order sl1-b (ETHUSDT): the venue did not answer");
        notifier.StreamDropped("BTCUSDT 1h klines", "the venue closed the stream");
        clock.Now += TimeSpan.FromSeconds(61);
        notifier.CheckDisconnects();
        notifier.CheckDisconnects();
        notifier.StreamConnected("BTCUSDT 1h klines");
        notifier.Stepped(Step(Monday + (23 * 3_600_000L), 9_600));
        // the first bar of Tuesday: Monday's summary
        notifier.Stepped(Step(Monday + Day, 9_700));
        await notifier.DisposeAsync();

        var slack = _received.Where(r => r.Path.StartsWith("/services/", StringComparison.Ordinal)).ToList();
        var telegram = _received.Where(r => r.Path.StartsWith("/bot", StringComparison.Ordinal)).ToList();
        Assert.All(slack, r => Assert.Equal($"/services/{SlackSecret}", r.Path));
        Assert.All(telegram, r => Assert.Equal($"/bot{Token}/sendMessage", r.Path));
        Assert.All(_received, r => Assert.StartsWith("application/json", r.ContentType, StringComparison.Ordinal));
        // Slack: an object with a text and nothing else; Telegram: chat_id and text
        var slackTexts = slack.Select(r => OnlyProperties(r.Body, "text")["text"]).ToList();
        var telegramTexts = telegram.Select(r => OnlyProperties(r.Body, "chat_id", "text")).ToList();
        Assert.All(telegramTexts, t => Assert.Equal(Chat, t["chat_id"]));
        Assert.Equal(slackTexts, telegramTexts.Select(t => t["text"]));
        Assert.Collection(slackTexts,
            t => Assert.Equal("[momentum on binance-usdm] started (session 3), equity 10,000.00", t),
            t => Assert.Equal("[momentum on binance-usdm] fill: bought 0.5 BTCUSDT at 100.1, fee 0.025 USDT", t),
            t => Assert.StartsWith("[momentum on binance-usdm] RISK HALT (daily_loss): equity 9,600.00", t, StringComparison.Ordinal),
            t => Assert.Equal("[momentum on binance-usdm] ERROR: order sl1-b (ETHUSDT): the venue did not answer", t),
            t => Assert.Equal("[momentum on binance-usdm] DISCONNECTED: BTCUSDT 1h klines down for 1.0 min (the venue closed the stream); no bar is stepped until it is back", t),
            t => Assert.Equal("[momentum on binance-usdm] BTCUSDT 1h klines reconnected after 1.0 min", t),
            t => Assert.Equal("[momentum on binance-usdm] daily summary 2026-03-02 UTC: equity 9,600.00, PnL -400.00 (-4.00%), 1 order(s), 1 fill(s), 0 rejected; positions: BTCUSDT 0.5", t));
        Assert.Empty(log);
    }

    [Fact]
    public async Task ADisconnectShorterThanAMinuteIsNotTold()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(Monday));
        var notifier = new AlertNotifier(AlertSettings.Channels(_http, envFile: null, Environment()), time: clock);

        notifier.StreamDropped("ETHUSDT 1m klines", "no message for 60 s");
        clock.Now += TimeSpan.FromSeconds(59);
        notifier.CheckDisconnects();
        notifier.StreamConnected("ETHUSDT 1m klines");
        await notifier.DisposeAsync();

        Assert.Empty(_received);
    }

    [Fact]
    public async Task AFailedDeliveryIsLoggedWithoutTheWebhookUrlAndTheRunnerGoesOn()
    {
        SlackStatus = 404;
        var log = new ConcurrentQueue<string>();
        var notifier = new AlertNotifier(AlertSettings.Channels(_http, envFile: null, Environment()), log.Enqueue, new ManualClock(DateTimeOffset.UnixEpoch));

        notifier.Failed("the venue refused the keys");
        await notifier.DisposeAsync();

        Assert.Equal(["alert not delivered: slack answered HTTP 404"], log);
        Assert.Equal(1, notifier.Delivered);
        Assert.Equal(1, notifier.Failures);
    }

    [Theory]
    [InlineData(AlertSettings.SlackWebhook, "not a url " + SlackSecret, "STRATEGYLAB_SLACK_WEBHOOK_URL is not an http(s) URL")]
    [InlineData(AlertSettings.TelegramToken, Token, "Telegram alerts need both STRATEGYLAB_TELEGRAM_BOT_TOKEN and STRATEGYLAB_TELEGRAM_CHAT_ID; STRATEGYLAB_TELEGRAM_CHAT_ID is not set")]
    public void AWrongSettingNamesTheVariableAndNeverItsValue(string variable, string value, string message)
    {
        var error = Assert.Throws<AlertSettingsException>(() => AlertSettings.Channels(_http, envFile: null, new Hashtable { [variable] = value }));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void SettingsComeFromTheDotEnvFileWhenTheEnvironmentLacksThem()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, $"{AlertSettings.TelegramToken}={Token}\n{AlertSettings.TelegramChat}={Chat}\n");

            var channels = AlertSettings.Channels(_http, file, new Hashtable());

            Assert.Equal(["telegram"], channels.Select(c => c.Name));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private Hashtable Environment() => new()
    {
        [AlertSettings.SlackWebhook] = $"http://127.0.0.1:{_port}/services/{SlackSecret}",
        [AlertSettings.TelegramToken] = Token,
        [AlertSettings.TelegramChat] = Chat,
        [AlertSettings.TelegramApi] = $"http://127.0.0.1:{_port}",
    };

    private static StepSnapshot Step(long barTime, double equity) =>
        new(barTime, 3_600_000L, equity, 50, 50, [new PositionMark("BTCUSDT", 0.5, 100.1, 100)], new Dictionary<JournalOrderStatus, int>(), Stopped: false);

    // the body's properties, which must be exactly those named, as strings
    private static Dictionary<string, string> OnlyProperties(string body, params string[] names)
    {
        using var json = JsonDocument.Parse(body);
        var properties = json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
        Assert.Equal(names.Order(StringComparer.Ordinal), properties.Keys.Order(StringComparer.Ordinal));
        return properties;
    }
}
