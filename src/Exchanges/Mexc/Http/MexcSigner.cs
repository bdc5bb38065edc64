using System.Security.Cryptography;
using System.Text;

namespace StrategyLab.Exchanges.Mexc.Http;

/// <summary>
/// MEXC contract signing (https://mexcdevelop.github.io/apidocs/contract_v1_en, "Authentication method"): HMAC-SHA256
/// with the secret over access key + request time (Unix ms, the <c>Request-Time</c> header) + the parameter string,
/// as lower-case hex. The parameter string is, for GET and DELETE, the business parameters sorted by name, URL-encoded
/// and joined with <c>&amp;</c> (null parameters left out); for POST, the JSON body exactly as sent; empty when there
/// are none.
/// </summary>
internal static class MexcSigner
{
    public static string Sign(string secret, string accessKey, long requestTime, string parameters)
    {
        var target = accessKey + requestTime.ToString(System.Globalization.CultureInfo.InvariantCulture) + parameters;
        var hash = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(target));
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>GET/DELETE parameters as signed and sent: sorted by name (ordinal), values URL-encoded (space as %20).</summary>
    public static string QueryString(IEnumerable<(string Name, string Value)> parameters) =>
        string.Join('&', parameters.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value)}"));
}
