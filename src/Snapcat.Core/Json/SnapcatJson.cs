using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Snapcat.Core.Json;

/// <summary>
/// The one JSON encoding of Snapcat's enums (job states, backup kinds, missed-run policies, origins), used by the
/// three daemons' control APIs, their clients, the server-sent job events and the CLI's <c>--json</c> output:
/// lower-case names with '_' between words ("failed", "mirror", "run_once", "tape_copy"). These are the names the
/// catalog's text columns already hold (kind, origin, missed_runs), so stored rows and definitions read as before.
/// On read, the number an older daemon wrote (a job state was <c>3</c> in REST) and any letter case (it was
/// <c>"Failed"</c> in the event stream) are still accepted. Numeric values persisted in records and the job
/// history are not touched by this: they are the enums' own numbers, frozen by a test.
/// </summary>
public static class SnapcatJson
{
    /// <summary>How an enum member's name is written: <c>RunOnce</c> → <c>run_once</c>.</summary>
    public static JsonNamingPolicy EnumNaming { get; } = JsonNamingPolicy.SnakeCaseLower;

    /// <summary>Web defaults (camelCase properties) with the enum encoding; shared, do not modify.</summary>
    public static JsonSerializerOptions Web { get; } = MakeReadOnly(Apply(new JsonSerializerOptions(JsonSerializerDefaults.Web)));

    /// <summary>A new converter with the enum encoding (options objects must each hold their own instance before they are frozen).</summary>
    public static JsonConverter EnumConverter() => new JsonStringEnumConverter(EnumNaming, allowIntegerValues: true);

    /// <summary>Adds the enum encoding to <paramref name="options"/> (e.g. ASP.NET's JsonOptions) and returns it.</summary>
    public static JsonSerializerOptions Apply(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Converters.Any(c => c is JsonStringEnumConverter)) options.Converters.Add(EnumConverter());
        return options;
    }

    /// <summary>The encoded name of <paramref name="value"/>, as JSON carries it and tables show it.</summary>
    public static string Name<T>(T value) where T : struct, Enum => EnumNaming.ConvertName(value.ToString());

    /// <summary>Reads an encoded name (any case); false for anything else, numbers included: text is never a number.</summary>
    public static bool TryParse<T>(string? text, [MaybeNullWhen(false)] out T value) where T : struct, Enum
    {
        foreach (var v in Enum.GetValues<T>())
            if (string.Equals(Name(v), text, StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        value = default;
        return false;
    }

    /// <summary>The encoded names of every member, for error messages ("one of mirror, snapshot, tape").</summary>
    public static IReadOnlyList<string> Names<T>(IEnumerable<T>? members = null) where T : struct, Enum =>
        (members ?? Enum.GetValues<T>()).Select(Name).ToArray();

    private static JsonSerializerOptions MakeReadOnly(JsonSerializerOptions o)
    {
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}
