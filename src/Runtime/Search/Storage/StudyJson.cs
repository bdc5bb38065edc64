using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search.Storage;

/// <summary>
/// The JSON text storage keeps for search spaces, parameters, objective values and attributes:
/// canonical (one spelling per value, names in a fixed order), so two definitions are the same
/// exactly when their texts are. A parameter value is a JSON number or, for a text choice, a string.
/// </summary>
public static class StudyJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
        Converters = { new ScalarValueConverter(), new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The search space as canonical JSON.</summary>
    public static string Space(SearchSpace space) => JsonSerializer.Serialize(space, Options);

    /// <summary>Reads a search space written by <see cref="Space(SearchSpace)"/>.</summary>
    public static SearchSpace ReadSpace(string json) =>
        JsonSerializer.Deserialize<SearchSpace>(json, Options) ?? throw new JsonException("a search space is null");

    /// <summary>One searched parameter as canonical JSON.</summary>
    public static string Parameter(SearchParameter parameter) => JsonSerializer.Serialize(parameter, Options);

    /// <summary>A trial's parameters as a JSON object, names in ordinal order.</summary>
    public static string Params(IReadOnlyDictionary<string, ScalarValue> parameters) =>
        JsonSerializer.Serialize(new SortedDictionary<string, ScalarValue>(parameters.ToDictionary(), StringComparer.Ordinal), Options);

    /// <summary>Reads parameters written by <see cref="Params"/>.</summary>
    public static ImmutableSortedDictionary<string, ScalarValue> ReadParams(string json) =>
        (JsonSerializer.Deserialize<Dictionary<string, ScalarValue>>(json, Options) ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal);

    /// <summary>Objective values as a JSON array (NaN and infinities as the strings "NaN", "Infinity", "-Infinity").</summary>
    public static string Values(IEnumerable<double> values) => JsonSerializer.Serialize(values.ToArray(), Options);

    /// <summary>Reads values written by <see cref="Values"/>.</summary>
    public static ImmutableArray<double> ReadValues(string json) =>
        [.. JsonSerializer.Deserialize<double[]>(json, Options) ?? []];

    /// <summary>Attributes as a JSON object, names in ordinal order.</summary>
    public static string Attributes(IReadOnlyDictionary<string, string> attributes) =>
        JsonSerializer.Serialize(new SortedDictionary<string, string>(attributes.ToDictionary(), StringComparer.Ordinal), Options);

    /// <summary>Reads attributes written by <see cref="Attributes"/>.</summary>
    public static ImmutableSortedDictionary<string, string> ReadAttributes(string json) =>
        (JsonSerializer.Deserialize<Dictionary<string, string>>(json, Options) ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal);

    /// <summary>Directions as a JSON array of "maximize" and "minimize".</summary>
    public static string Directions(IEnumerable<Direction> directions) => JsonSerializer.Serialize(directions.ToArray(), Options);

    /// <summary>Reads directions written by <see cref="Directions"/>.</summary>
    public static ImmutableArray<Direction> ReadDirections(string json) =>
        [.. JsonSerializer.Deserialize<Direction[]>(json, Options) ?? []];

    /// <summary>Objective names as a JSON array.</summary>
    public static string Names(IEnumerable<string> names) => JsonSerializer.Serialize(names.ToArray(), Options);

    /// <summary>Reads names written by <see cref="Names"/>.</summary>
    public static ImmutableArray<string> ReadNames(string json) =>
        [.. JsonSerializer.Deserialize<string[]>(json, Options) ?? []];

    /// <summary>A number as a JSON number; a text choice as a string; a non-finite number as <c>{"number":"NaN"}</c>, which no text can be confused with.</summary>
    private sealed class ScalarValueConverter : JsonConverter<ScalarValue>
    {
        public override ScalarValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    return ScalarValue.Of(reader.GetString()!);
                case JsonTokenType.Number:
                    return ScalarValue.Of(reader.GetDouble());
                case JsonTokenType.StartObject:
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.PropertyName || reader.GetString() != "number")
                        throw new JsonException("expected {\"number\": ...} for a non-finite parameter value");
                    reader.Read();
                    var number = double.Parse(reader.GetString() ?? "", NumberStyles.Float, CultureInfo.InvariantCulture);
                    reader.Read();
                    return ScalarValue.Of(number);
                default:
                    throw new JsonException($"expected a number or a string for a parameter value, found {reader.TokenType}");
            }
        }

        public override void Write(Utf8JsonWriter writer, ScalarValue value, JsonSerializerOptions options)
        {
            if (value.Text is { } text)
                writer.WriteStringValue(text);
            else if (double.IsFinite(value.Number))
                writer.WriteNumberValue(value.Number);
            else
            {
                writer.WriteStartObject();
                writer.WriteString("number", value.Number.ToString("R", CultureInfo.InvariantCulture));
                writer.WriteEndObject();
            }
        }
    }
}
