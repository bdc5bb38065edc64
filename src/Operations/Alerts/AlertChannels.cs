using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StrategyLab.Operations.Alerts;

/// <summary>Where alert messages go: a chat webhook or bot. Its address holds a secret and is never shown.</summary>
public interface IAlertChannel
{
    /// <summary>The channel's kind, for log lines (<c>slack</c>, <c>telegram</c>); never its address.</summary>
    string Name { get; }

    /// <summary>Sends one message.</summary>
    /// <exception cref="AlertDeliveryException">The receiver refused or could not be reached; the message names no secret.</exception>
    Task SendAsync(string text, CancellationToken cancel);
}

/// <summary>An alert was not delivered; the message says why without the channel's address.</summary>
public sealed class AlertDeliveryException(string message) : Exception(message);

/// <summary>
/// A Slack incoming webhook (or any receiver that takes Slack's shape): a POST of <c>{"text": "..."}</c> as JSON to the
/// webhook's URL, answered 200 (https://api.slack.com/messaging/webhooks).
/// </summary>
public sealed class SlackWebhookChannel(HttpClient http, Uri webhook) : IAlertChannel
{
    /// <inheritdoc />
    public string Name => "slack";

    /// <inheritdoc />
    public async Task SendAsync(string text, CancellationToken cancel)
    {
        using var answer = await Post(http, webhook, new SlackMessage(text), Name, cancel).ConfigureAwait(false);
        if (!answer.IsSuccessStatusCode)
            throw new AlertDeliveryException($"slack answered HTTP {(int)answer.StatusCode}");
    }

    internal static async Task<HttpResponseMessage> Post<T>(HttpClient http, Uri address, T body, string name, CancellationToken cancel)
    {
        try
        {
            return await http.PostAsJsonAsync(address, body, cancel).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            // the exception's text may name the address; only its kind is shown
            throw new AlertDeliveryException($"{name} could not be reached ({e.HttpRequestError})");
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new AlertDeliveryException($"{name} did not answer in time");
        }
    }

    private sealed record SlackMessage([property: JsonPropertyName("text")] string Text);
}

/// <summary>
/// A Telegram bot: <c>sendMessage</c> of the Bot API, a POST of <c>{"chat_id": ..., "text": ...}</c> as JSON to
/// <c>{api}/bot{token}/sendMessage</c>, answered <c>{"ok": true, "result": {...}}</c> (https://core.telegram.org/bots/api#sendmessage).
/// Texts over Telegram's 4096 characters are cut.
/// </summary>
public sealed class TelegramBotChannel(HttpClient http, Uri api, string token, string chatId) : IAlertChannel
{
    private const int MaxText = 4096;

    /// <inheritdoc />
    public string Name => "telegram";

    /// <inheritdoc />
    public async Task SendAsync(string text, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(text);
        // appended as text: a token's colon would read as a URI scheme
        var address = new Uri($"{api.AbsoluteUri.TrimEnd('/')}/bot{token}/sendMessage");
        var body = new TelegramMessage(chatId, text.Length > MaxText ? text[..(MaxText - 1)] + "…" : text);
        using var answer = await SlackWebhookChannel.Post(http, address, body, Name, cancel).ConfigureAwait(false);
        var ok = false;
        try
        {
            using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(cancel).ConfigureAwait(false));
            ok = json.RootElement.TryGetProperty("ok", out var flag) && flag.ValueKind == JsonValueKind.True;
        }
        catch (JsonException)
        {
            // not the Bot API's answer: reported below by its status
        }
        if (!answer.IsSuccessStatusCode || !ok)
            throw new AlertDeliveryException($"telegram answered HTTP {(int)answer.StatusCode}{(ok ? "" : " without ok")}");
    }

    private sealed record TelegramMessage([property: JsonPropertyName("chat_id")] string ChatId, [property: JsonPropertyName("text")] string Text);
}
