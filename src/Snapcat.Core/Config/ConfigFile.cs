using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Snapcat.Core.Errors;
using Snapcat.Core.Storage;

namespace Snapcat.Core.Config;

/// <summary>
/// How the daemons read their JSON configuration files: camelCase, comments and trailing commas allowed
/// (the files are written by hand), required members enforced. A file that is missing, unreadable, not
/// JSON or JSON null is an <see cref="ErrorKind.Invalid"/> <c>config.*</c> error naming the file; a JSON
/// error also names the member and line. The checks after reading report every problem at once
/// (<see cref="ThrowIfProblems"/>), like fsck, so an administrator fixes the file in one go.
/// Writing (<see cref="Write{T}"/>) is the other way round, from the typed record: tests and the quickstart
/// write configurations this way, so a renamed or retyped member breaks their build instead of producing a
/// file the daemon refuses.
/// </summary>
public static partial class ConfigFile
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        RespectRequiredConstructorParameters = true,
        // Strict: a key no member reads (a typo such as "tapeLibary") is an error, at any depth, not silently ignored.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads the file and hands it to the daemon's <paramref name="validate"/> with its full path.</summary>
    public static TLoaded Load<TRaw, TLoaded>(string configPath, Func<TRaw, string, TLoaded> validate) where TRaw : class
    {
        string full = Path.GetFullPath(configPath);
        return validate(Read<TRaw>(full), full);
    }

    /// <param name="fullPath">The file, as the messages name it.</param>
    public static T Read<T>(string fullPath) where T : class
    {
        if (!File.Exists(fullPath))
            Throw.Invalid("config.not_found", $"configuration file {fullPath} does not exist");
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SnapcatException(ErrorKind.Invalid, "config.unreadable", $"configuration file {fullPath} cannot be read: {ex.Message}", ex);
        }
        T? raw;
        try
        {
            raw = JsonSerializer.Deserialize<T>(text, Json);
        }
        catch (JsonException ex)
        {
            var (code, message) = Describe(ex, typeof(T));
            throw new SnapcatException(ErrorKind.Invalid, code,
                code == "config.invalid" ? $"configuration {fullPath} is not valid: {ex.Message}" : $"configuration {fullPath}: {message}", ex);
        }
        return raw ?? throw new SnapcatException(ErrorKind.Invalid, "config.invalid", $"configuration {fullPath} is empty (null)");
    }

    /// <summary>
    /// A JSON error as an administrator reads it, with its code: <c>config.unknown_key</c> "unknown key 'tapeLibary' at
    /// $.tapeLibary (line 7); known keys here: control, catalog, …", <c>config.missing_key</c> "missing required key
    /// 'deviceId' in $ (the object that ends on line 9)", else <c>config.invalid</c> with the serializer's own message (it names path and line).
    /// </summary>
    /// <param name="root">The configuration's record, to list the keys the object that holds an unknown key accepts.</param>
    public static (string Code, string Message) Describe(JsonException ex, Type root)
    {
        ArgumentNullException.ThrowIfNull(ex);
        // System.Text.Json's LineNumber counts from 0; an editor's from 1.
        string where = (ex.Path is { Length: > 0 } p ? p : "$") + (ex.LineNumber is { } line ? $" (line {line + 1})" : "");
        var unknown = UnknownMember().Match(ex.Message);
        if (unknown.Success)
        {
            string key = unknown.Groups[1].Value;
            var known = KnownKeys(root, unknown.Groups[2].Value);
            return ("config.unknown_key", $"unknown key '{key}' at {where}" +
                (known is { Count: > 0 } ? "; known keys here: " + string.Join(", ", known) : ""));
        }
        var missing = MissingMembers().Match(ex.Message);
        if (missing.Success)
        {
            var keys = Quoted().Matches(missing.Groups[1].Value).Select(m => m.Groups[1].Value).ToList();
            // The reader stands at the object's closing brace when it finds a member missing.
            string path = (ex.Path is { Length: > 0 } q ? q : "$") + (ex.LineNumber is { } l ? $" (the object that ends on line {l + 1})" : "");
            return ("config.missing_key", keys.Count == 1
                ? $"missing required key '{keys[0]}' in {path}"
                : $"missing required keys {string.Join(", ", keys.Select(k => $"'{k}'"))} in {path}");
        }
        return ("config.invalid", $"not valid configuration JSON: {ex.Message}");
    }

    /// <summary>The JSON keys of the record named <paramref name="typeName"/> (as the serializer names it), found from <paramref name="root"/>.</summary>
    private static List<string>? KnownKeys(Type root, string typeName)
    {
        var seen = new HashSet<Type>();
        var queue = new Queue<Type>([root]);
        while (queue.Count > 0)
        {
            var type = queue.Dequeue();
            if (!seen.Add(type) || type.IsPrimitive || type == typeof(string)) continue;
            JsonTypeInfo info;
            try { info = Json.GetTypeInfo(type); }
            catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException) { continue; }
            if (info.Kind == JsonTypeInfoKind.Object)
            {
                if (type.FullName == typeName || type.ToString() == typeName)
                    return info.Properties.Select(pi => pi.Name).ToList();
                foreach (var pi in info.Properties) queue.Enqueue(pi.PropertyType);
            }
            if (info.ElementType is { } element) queue.Enqueue(element);
            if (Nullable.GetUnderlyingType(type) is { } underlying) queue.Enqueue(underlying);
        }
        return null;
    }

    [GeneratedRegex(@"^The JSON property '(.*)' could not be mapped to any \.NET member contained in type '(.*)'\.")]
    private static partial Regex UnknownMember();

    [GeneratedRegex(@"missing required properties including: (.*?)\.?(?: Path:|$)")]
    private static partial Regex MissingMembers();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex Quoted();

    /// <summary>One <c>config.invalid</c> error listing every problem found in the file, if there is any.</summary>
    public static void ThrowIfProblems(string configPath, IReadOnlyList<string> problems)
    {
        if (problems.Count > 0)
            Throw.Invalid("config.invalid", $"configuration {configPath} has {problems.Count} problem(s):\n  - " + string.Join("\n  - ", problems));
    }

    /// <summary>How configurations are written: indented, nulls left out.</summary>
    public static readonly JsonSerializerOptions WriteJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Only members a file can set: computed get-only members (AgentConfig.PendingThawDirectory,
        // TapeLibraryConfig.CapacityBytes, …) are derived when the file is read, not written into it.
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                ti =>
                {
                    if (ti.Kind != JsonTypeInfoKind.Object) return;
                    for (int i = ti.Properties.Count - 1; i >= 0; i--)
                        if (ti.Properties[i].Set is null) ti.Properties.RemoveAt(i);
                },
            },
        },
    };

    public static string Serialize<T>(T config) where T : class => JsonSerializer.Serialize(config, WriteJson) + "\n";

    /// <summary>Atomically, 0600: configurations carry bearer tokens.</summary>
    public static void Write<T>(string path, T config) where T : class =>
        DurableFile.WriteAtomic(path, Encoding.UTF8.GetBytes(Serialize(config)));
}
