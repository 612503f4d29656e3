using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Caseline.Messages;

namespace Caseline.Cli.Sync;

/// <summary>One document of a file: the line it starts on, and the JSON it holds or why it holds none.</summary>
internal sealed record FileEntry(long Line, JsonElement? Document, string? Error);

/// <summary>
/// Reads profiles or messages from a file: NDJSON (one JSON document per line, blank lines skipped), or CSV
/// in the layout the README documents: a header row naming profile fields, one row per client, empty
/// cells meaning no value, and the item collections (<c>Addresses</c>, <c>Contacts</c>, …) as cells holding
/// a JSON array. The format comes from the extension (<c>.csv</c>), else NDJSON.
/// </summary>
internal static class ProfileFile
{
    /// <summary>Columns a CSV may have: every profile field, then the collections.</summary>
    public static IReadOnlyList<string> CsvColumns { get; } =
    [
        "IntegrationId",
        .. Section.All.Where(s => !s.IsCollection).SelectMany(s => s.Fields).Select(f => f.Name),
        .. Section.All.Where(s => s.IsCollection).Select(s => s.ProfileProperty!),
    ];

    public static bool IsCsv(string path) => path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    public static IEnumerable<FileEntry> Read(string path, TextReader? standardInput = null)
    {
        using var reader = path == "-" ? null : new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var source = reader ?? standardInput ?? throw new CliException("No standard input to read.", ExitCodes.Usage);
        foreach (var entry in IsCsv(path) ? ReadCsv(source) : ReadNdjson(source))
        {
            yield return entry;
        }
    }

    private static IEnumerable<FileEntry> ReadNdjson(TextReader reader)
    {
        long line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            JsonElement? document = null;
            try
            {
                using var parsed = JsonDocument.Parse(text);
                document = parsed.RootElement.Clone();
            }
            catch (JsonException)
            {
            }

            yield return document is null ? new FileEntry(line, null, "The line is not valid JSON") : new FileEntry(line, document, null);
        }
    }

    private static IEnumerable<FileEntry> ReadCsv(TextReader reader)
    {
        var csv = new CsvReader(reader);
        if (csv.Next() is not { } header)
        {
            yield break;
        }

        var columns = header.Fields.Select(h => h.Trim()).ToArray();
        var unknown = columns.Where(c => !CsvColumns.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0 || !columns.Contains("IntegrationId", StringComparer.OrdinalIgnoreCase))
        {
            throw new CliException(
                unknown.Count > 0 ? $"Line 1: unknown column {string.Join(", ", unknown)}; the columns are {string.Join(", ", CsvColumns)}."
                    : "Line 1: the header needs an IntegrationId column.", ExitCodes.Validation);
        }

        var collections = Section.All.Where(s => s.IsCollection).Select(s => s.ProfileProperty!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        while (csv.Next() is { } row)
        {
            if (row.Fields.All(string.IsNullOrWhiteSpace))
            {
                continue;
            }

            if (row.Fields.Count != columns.Length)
            {
                yield return new FileEntry(row.Line, null, $"The row has {row.Fields.Count} cells; the header has {columns.Length}");
                continue;
            }

            var profile = new JsonObject();
            string? error = null;
            for (var i = 0; i < columns.Length; i++)
            {
                var cell = row.Fields[i];
                if (cell.Length == 0)
                {
                    continue;
                }

                if (collections.Contains(columns[i]))
                {
                    try
                    {
                        profile[columns[i]] = JsonNode.Parse(cell);
                    }
                    catch (JsonException)
                    {
                        error = $"The {columns[i]} cell is not a JSON array";
                        break;
                    }
                }
                else
                {
                    profile[columns[i]] = cell;
                }
            }

            yield return error is null
                ? new FileEntry(row.Line, JsonSerializer.SerializeToElement(profile, CliJsonContext.Default.JsonObject), null)
                : new FileEntry(row.Line, null, error);
        }
    }

    /// <summary>RFC 4180 records: quoted cells may hold commas, doubled quotes and line breaks; each record knows the line it starts on.</summary>
    private sealed class CsvReader(TextReader reader)
    {
        private long _line = 1;

        public (long Line, List<string> Fields)? Next()
        {
            var first = reader.Peek();
            if (first < 0)
            {
                return null;
            }

            var start = _line;
            var fields = new List<string>();
            var cell = new StringBuilder();
            var quoted = false;
            while (true)
            {
                var c = reader.Read();
                if (quoted)
                {
                    if (c < 0)
                    {
                        break;
                    }

                    if (c == '"')
                    {
                        if (reader.Peek() == '"')
                        {
                            reader.Read();
                            cell.Append('"');
                        }
                        else
                        {
                            quoted = false;
                        }
                    }
                    else
                    {
                        _line += c == '\n' ? 1 : 0;
                        cell.Append((char)c);
                    }

                    continue;
                }

                if (c is < 0 or '\n' or '\r')
                {
                    if (c == '\r' && reader.Peek() == '\n')
                    {
                        reader.Read();
                    }

                    _line += c < 0 ? 0 : 1;
                    fields.Add(cell.ToString());
                    return (start, fields);
                }

                if (c == ',')
                {
                    fields.Add(cell.ToString());
                    cell.Clear();
                }
                else if (c == '"' && cell.Length == 0)
                {
                    quoted = true;
                }
                else
                {
                    cell.Append((char)c);
                }
            }

            fields.Add(cell.ToString());
            return (start, fields);
        }
    }
}
