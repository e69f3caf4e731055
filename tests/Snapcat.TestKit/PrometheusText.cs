using System.Globalization;
using System.Text;

namespace Snapcat.TestKit;

/// <summary>One sample line: the metric name as written (with _total, _bucket, …), its labels, its value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>A metric family: the name of its TYPE/HELP lines, its type ("untyped" without a TYPE line), help, samples.</summary>
public sealed record PrometheusFamily(string Name, string Type, string? Help, IReadOnlyList<PrometheusSample> Samples);

/// <summary>
/// A strict parser of the Prometheus text exposition format 0.0.4, for tests that read a daemon's <c>/metrics</c>.
/// Grammar (prometheus.io/docs/instrumenting/exposition_formats, "Text format details"):
/// <code>
/// exposition = { line "\n" }                      (every line ends with \n, the last one too)
/// line       = "" | "# HELP " name " " docstring | "# TYPE " name " " type | "#" comment | sample
/// sample     = name [ "{" [ label { "," label } [ "," ] ] "}" ] " " value [ " " timestamp ]
/// label      = labelname "=" '"' escaped '"'         (escapes: \\ \" \n)
/// name       = [a-zA-Z_:][a-zA-Z0-9_:]*     labelname = [a-zA-Z_][a-zA-Z0-9_]*
/// type       = counter | gauge | histogram | summary | untyped
/// value      = Go float: digits, exponent, NaN, +Inf, -Inf       timestamp = integer milliseconds
/// </code>
/// and the rules around it: at most one HELP and one TYPE per family, TYPE before the family's first sample, the
/// samples of a family together, no series (name and label set) twice, a counter's value not negative, and the
/// sample suffixes that histograms (_bucket with le, _sum, _count) and summaries (quantile, _sum, _count) allow.
/// Anything else is a <see cref="FormatException"/> naming the line.
/// </summary>
public sealed class PrometheusText
{
    private readonly Dictionary<string, PrometheusFamily> _families;

    private PrometheusText(Dictionary<string, PrometheusFamily> families) => _families = families;

    public IReadOnlyDictionary<string, PrometheusFamily> Families => _families;

    /// <summary>The family <paramref name="name"/> (as its TYPE line names it); fails the lookup with the names there are.</summary>
    public PrometheusFamily Family(string name) => _families.TryGetValue(name, out var f) ? f
        : throw new KeyNotFoundException($"no metric family {name}; there are: {string.Join(", ", _families.Keys.Order(StringComparer.Ordinal))}");

    /// <summary>The value of the sample <paramref name="name"/> whose labels include all of <paramref name="labels"/> ("k=v"); null when none.</summary>
    public double? Value(string name, params string[] labels)
    {
        var want = labels.Select(l => l.Split('=', 2)).ToList();
        return _families.Values.SelectMany(f => f.Samples)
            .Where(s => s.Name == name && want.All(w => s.Labels.TryGetValue(w[0], out var v) && v == w[1]))
            .Select(s => (double?)s.Value).FirstOrDefault();
    }

    public static PrometheusText Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("the exposition does not end with a line feed");
        var families = new Dictionary<string, (string Type, string? Help, List<PrometheusSample> Samples, bool Closed)>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length - 1; i++)
        {
            string line = lines[i];
            int no = i + 1;
            if (line.Length == 0) continue;
            if (line[0] == '#')
            {
                string[] parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[0] == "#" && parts[1] is "HELP" or "TYPE")
                {
                    string name = parts[2];
                    if (!IsMetricName(name)) throw Bad(no, line, $"'{name}' is not a metric name");
                    var fam = Family(families, name);
                    // TYPE must come before the family's first sample; HELP may follow them, but not from another family's place.
                    if (fam.Closed || (fam.Samples.Count > 0 && (parts[1] == "TYPE" || current != name)))
                        throw Bad(no, line, $"{parts[1]} of {name} after its samples");
                    if (parts[1] == "HELP")
                    {
                        if (fam.Help is not null) throw Bad(no, line, $"a second HELP for {name}");
                        families[name] = fam with { Help = parts.Length == 4 ? Unescape(parts[3], no, line, quotes: false) : "" };
                    }
                    else
                    {
                        if (parts.Length != 4 || parts[3] is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                            throw Bad(no, line, "TYPE needs one of counter, gauge, histogram, summary, untyped");
                        if (fam.Type != "") throw Bad(no, line, $"a second TYPE for {name}");
                        families[name] = fam with { Type = parts[3] };
                    }
                    if (current is not null && current != name) Close(families, current);
                    current = name;
                }
                continue;  // any other comment
            }

            var sample = ParseSample(line, no);
            string family = FamilyOf(sample.Name, families);
            var f = Family(families, family);
            if (f.Closed) throw Bad(no, line, $"sample of {family} apart from the family's other samples");
            if (current is not null && current != family) Close(families, current);
            current = family;
            string type = f.Type == "" ? "untyped" : f.Type;
            CheckSuffix(type, family, sample, no, line);
            string key = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
            if (!series.Add(key)) throw Bad(no, line, $"series {key} appears twice");
            f.Samples.Add(sample);
        }
        return new PrometheusText(families.ToDictionary(kv => kv.Key,
            kv => new PrometheusFamily(kv.Key, kv.Value.Type == "" ? "untyped" : kv.Value.Type, kv.Value.Help, kv.Value.Samples), StringComparer.Ordinal));
    }

    private static (string Type, string? Help, List<PrometheusSample> Samples, bool Closed) Family(
        Dictionary<string, (string Type, string? Help, List<PrometheusSample> Samples, bool Closed)> families, string name)
    {
        if (!families.TryGetValue(name, out var f)) families[name] = f = ("", null, [], false);
        return f;
    }

    private static void Close(Dictionary<string, (string Type, string? Help, List<PrometheusSample> Samples, bool Closed)> families, string name) =>
        families[name] = families[name] with { Closed = true };

    /// <summary>The family a sample belongs to: its own name, or the histogram/summary it is the _bucket/_sum/_count of.</summary>
    private static string FamilyOf(string sample, Dictionary<string, (string Type, string? Help, List<PrometheusSample> Samples, bool Closed)> families)
    {
        foreach (string suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (!sample.EndsWith(suffix, StringComparison.Ordinal)) continue;
            string baseName = sample[..^suffix.Length];
            if (families.TryGetValue(baseName, out var f) && f.Type is "histogram" or "summary") return baseName;
        }
        return sample;
    }

    private static void CheckSuffix(string type, string family, PrometheusSample s, int no, string line)
    {
        switch (type)
        {
            case "counter":
                if (s.Value < 0 || double.IsNaN(s.Value)) throw Bad(no, line, "a counter's value must be a non-negative number");
                break;
            case "histogram":
                if (s.Name == family + "_bucket" && !s.Labels.ContainsKey("le")) throw Bad(no, line, "a histogram bucket needs an le label");
                if (s.Name == family) throw Bad(no, line, "a histogram has only _bucket, _sum and _count samples");
                break;
            case "summary":
                if (s.Name == family && !s.Labels.ContainsKey("quantile")) throw Bad(no, line, "a summary's quantile sample needs a quantile label");
                break;
        }
    }

    private static PrometheusSample ParseSample(string line, int no)
    {
        int pos = 0;
        while (pos < line.Length && IsNameChar(line[pos], pos == 0, colon: true)) pos++;
        string name = line[..pos];
        if (name.Length == 0) throw Bad(no, line, "a sample line must start with a metric name");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (pos < line.Length && line[pos] == '{')
        {
            pos++;
            while (true)
            {
                if (pos < line.Length && line[pos] == '}') { pos++; break; }
                int start = pos;
                while (pos < line.Length && IsNameChar(line[pos], pos == start, colon: false)) pos++;
                string label = line[start..pos];
                if (label.Length == 0) throw Bad(no, line, $"a label name is expected at column {pos + 1}");
                if (label.StartsWith("__", StringComparison.Ordinal)) throw Bad(no, line, $"label name {label} is reserved");
                if (pos + 1 >= line.Length || line[pos] != '=' || line[pos + 1] != '"') throw Bad(no, line, $"label {label} needs =\"value\"");
                pos += 2;
                var value = new StringBuilder();
                while (true)
                {
                    if (pos >= line.Length) throw Bad(no, line, $"the value of label {label} is not closed");
                    char c = line[pos++];
                    if (c == '"') break;
                    if (c == '\\')
                    {
                        if (pos >= line.Length) throw Bad(no, line, "a backslash ends the line");
                        char e = line[pos++];
                        value.Append(e switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw Bad(no, line, $"escape \\{e} is not allowed in a label value"),
                        });
                    }
                    else value.Append(c);
                }
                if (!labels.TryAdd(label, value.ToString())) throw Bad(no, line, $"label {label} appears twice");
                if (pos < line.Length && line[pos] == ',') { pos++; continue; }
                if (pos < line.Length && line[pos] == '}') { pos++; break; }
                throw Bad(no, line, $"',' or '}}' expected at column {pos + 1}");
            }
        }
        if (pos >= line.Length || line[pos] != ' ') throw Bad(no, line, "a space and a value must follow the name and labels");
        string[] rest = line[(pos + 1)..].Split(' ');
        if (rest.Length is < 1 or > 2) throw Bad(no, line, "only a value and an optional timestamp may follow");
        double v = ParseValue(rest[0]) ?? throw Bad(no, line, $"'{rest[0]}' is not a sample value");
        if (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            throw Bad(no, line, $"'{rest[1]}' is not a timestamp (integer milliseconds)");
        return new PrometheusSample(name, labels, v);
    }

    private static double? ParseValue(string s) => s switch
    {
        "NaN" => double.NaN,
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ when s.Length > 0 && s.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-')
            && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
        _ => null,
    };

    private static string Unescape(string s, int no, string line, bool quotes)
    {
        var b = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\') { b.Append(s[i]); continue; }
            if (++i >= s.Length) throw Bad(no, line, "a backslash ends the line");
            b.Append(s[i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                '"' when quotes => '"',
                _ => throw Bad(no, line, $"escape \\{s[i]} is not allowed in HELP text"),
            });
        }
        return b.ToString();
    }

    private static bool IsMetricName(string s) => s.Length > 0 && s.Select((c, i) => IsNameChar(c, i == 0, colon: true)).All(x => x);

    private static bool IsNameChar(char c, bool first, bool colon) =>
        char.IsAsciiLetter(c) || c == '_' || (colon && c == ':') || (!first && char.IsAsciiDigit(c));

    private static FormatException Bad(int no, string line, string why) => new($"metrics line {no}: {why}: {line}");
}
