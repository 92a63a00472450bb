using System.Text.Json;
using System.Text.Json.Serialization;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>
/// Enums in request bodies by name only (any case). JsonStringEnumConverter, even with allowIntegerValues: false,
/// still reads "FreeProduct, Experience" as the bitwise OR of two values, which is a third, unnamed or wrong one.
/// Written as their names, as JsonStringEnumConverter writes them.
/// </summary>
public sealed class NamedEnumConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

    private sealed class Converter<T> : JsonConverter<T> where T : struct, Enum
    {
        private static readonly Dictionary<string, T> Names = Enum.GetValues<T>()
            .ToDictionary(v => v.ToString(), v => v, StringComparer.OrdinalIgnoreCase);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String ? Parse(reader.GetString()) : throw Unknown();

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());

        public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Parse(reader.GetString());

        public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WritePropertyName(value.ToString());

        private static T Parse(string? name) => name is not null && Names.TryGetValue(name, out var value) ? value : throw Unknown();

        private static JsonException Unknown() =>
            new($"expected one of: {string.Join(", ", Names.Keys)}");
    }
}
