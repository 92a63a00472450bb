using System.Text.Json;
using System.Text.Json.Serialization;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>
/// Request strings may not contain NUL: PostgreSQL cannot store it in text (a 500 on insert), SQLite would, and
/// nothing legitimate sends it. Refused while the body is read, so it reaches no handler.
/// </summary>
public sealed class NoNulStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // A null is left to the endpoint's validation, which knows which field may be null.
        if (reader.TokenType == JsonTokenType.Null) return null;
        var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw new JsonException("expected a string");
        return value is not null && value.Contains('\0') ? throw new JsonException("strings must not contain NUL") : value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    // The token is a PropertyName here, not a String: Read would refuse every dictionary key.
    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetString() is { } key && !key.Contains('\0') ? key : throw new JsonException("property names must not contain NUL");

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);
}
