using System.Collections;

namespace StrategyLab.Operations.Alerts;

/// <summary>The alert settings are wrong; the message names the variable, never its value.</summary>
public sealed class AlertSettingsException(string message) : Exception(message);

/// <summary>
/// The alert channels configured in the environment or a <c>.env</c> file (the environment wins), never on the command
/// line: <c>STRATEGYLAB_SLACK_WEBHOOK_URL</c> for a Slack-compatible webhook; <c>STRATEGYLAB_TELEGRAM_BOT_TOKEN</c> and
/// <c>STRATEGYLAB_TELEGRAM_CHAT_ID</c> for a Telegram bot, with <c>STRATEGYLAB_TELEGRAM_API</c> for a Bot API server
/// of one's own (default https://api.telegram.org/).
/// </summary>
public static class AlertSettings
{
    /// <summary>The Slack webhook URL variable.</summary>
    public const string SlackWebhook = "STRATEGYLAB_SLACK_WEBHOOK_URL";

    /// <summary>The Telegram bot token variable.</summary>
    public const string TelegramToken = "STRATEGYLAB_TELEGRAM_BOT_TOKEN";

    /// <summary>The Telegram chat id variable.</summary>
    public const string TelegramChat = "STRATEGYLAB_TELEGRAM_CHAT_ID";

    /// <summary>The Telegram Bot API server variable.</summary>
    public const string TelegramApi = "STRATEGYLAB_TELEGRAM_API";

    /// <summary>The channels set; none when no variable is set.</summary>
    /// <exception cref="AlertSettingsException">A URL is not http(s), or a Telegram token lacks its chat id (or the reverse).</exception>
    public static IReadOnlyList<IAlertChannel> Channels(HttpClient http, string? envFile = ".env", IDictionary? environment = null)
    {
        var read = Reader(envFile, environment);
        var channels = new List<IAlertChannel>();
        if (read(SlackWebhook) is { } slack)
            channels.Add(new SlackWebhookChannel(http, HttpUrl(slack, SlackWebhook)));
        var token = read(TelegramToken);
        var chat = read(TelegramChat);
        if (token is not null || chat is not null)
        {
            if (token is null || chat is null)
                throw new AlertSettingsException($"Telegram alerts need both {TelegramToken} and {TelegramChat}; {(token is null ? TelegramToken : TelegramChat)} is not set");
            if (token.Any(c => char.IsWhiteSpace(c) || c == '/'))
                throw new AlertSettingsException($"{TelegramToken} is not a bot token (it holds a space or a slash)");
            var api = HttpUrl(read(TelegramApi) ?? "https://api.telegram.org/", TelegramApi);
            channels.Add(new TelegramBotChannel(http, api.AbsoluteUri.EndsWith('/') ? api : new Uri(api.AbsoluteUri + "/"), token, chat));
        }
        return channels;
    }

    private static Func<string, string?> Reader(string? envFile, IDictionary? environment)
    {
        var variables = environment ?? Environment.GetEnvironmentVariables();
        var file = envFile is not null && File.Exists(envFile)
            ? DotNetEnv.Env.NoEnvVars().NoClobber().Load(envFile).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal)
            : [];
        return name =>
            variables[name] is string value && value.Trim().Length > 0 ? value.Trim()
            : file.TryGetValue(name, out var fromFile) && fromFile.Trim().Length > 0 ? fromFile.Trim()
            : null;
    }

    // the value is a secret: the error names the variable only
    private static Uri HttpUrl(string text, string variable) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
            ? url
            : throw new AlertSettingsException($"{variable} is not an http(s) URL");
}
