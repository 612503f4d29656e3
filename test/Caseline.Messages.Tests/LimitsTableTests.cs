using System.Globalization;
using System.Text;
using Caseline.Messages.Validation;

namespace Caseline.Messages.Tests;

/// <summary>The library README's table of fields and limits is the field table, written out; it may not drift.</summary>
public sealed class LimitsTableTests
{
    private const string Start = "<!-- fields:start -->";
    private const string End = "<!-- fields:end -->";

    [Fact]
    public void The_readme_documents_every_field_with_its_limit()
    {
        var path = Path.Combine(SchemaTests.RepositoryRoot(), "src", "Caseline.Messages", "README.md");
        var readme = File.ReadAllText(path);
        var start = readme.IndexOf(Start, StringComparison.Ordinal) + Start.Length;
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start > Start.Length - 1 && end > start, $"{path} must hold the markers {Start} and {End}");

        var expected = "\n" + Table() + "\n";
        if (Environment.GetEnvironmentVariable("CASELINE_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, readme[..start] + expected + readme[end..]);
            readme = File.ReadAllText(path);
            end = readme.IndexOf(End, StringComparison.Ordinal);
        }

        Assert.True(expected == readme[start..end],
            "The README's field table has drifted: run the tests once with CASELINE_UPDATE_SNAPSHOTS=1 and review the diff.");
    }

    private static string Table()
    {
        var table = new StringBuilder()
            .AppendLine("| Section | Field | Required | Rule |")
            .Append("|---|---|---|---|");
        AppendRow(table, "Envelope", "Client.IntegrationId", MessageValidator.ClientIntegrationId);
        AppendRow(table, "Envelope", "Action.UpdatedBy", MessageValidator.ActionUpdatedBy);
        foreach (var section in Section.All)
        {
            foreach (var field in section.Fields)
            {
                AppendRow(table, section.Name, field.Name, field);
                foreach (var item in field.ItemFields)
                {
                    AppendRow(table, section.Name, $"{field.Name}[].{item.Name}", item);
                }
            }
        }

        return table.ToString();
    }

    private static void AppendRow(StringBuilder table, string section, string name, FieldSpec field)
    {
        var aliases = field.Aliases.Count > 0 ? $" (also read as `{string.Join("`, `", field.Aliases)}`)" : "";
        table.Append(CultureInfo.InvariantCulture, $"\n| {section} | `{name}`{aliases} | {(field.IsRequired ? "yes" : "")} | {Rule(field)} |");
    }

    private static string Rule(FieldSpec field) => field.Kind switch
    {
        FieldKind.Identifier => $"identifier: at most {field.MaxLength} of `A-Z a-z 0-9 - _ . : ~`",
        FieldKind.Text => $"text, at most {field.MaxLength} characters",
        FieldKind.Enumeration => "one of " + string.Join(", ", field.AllowedValues.Select(v => $"`{v}`")),
        FieldKind.Date => "date `yyyy-MM-dd`, 1900-01-01 to 2199-12-31"
            + (field.NotInFuture ? ", not after tomorrow (UTC)" : "")
            + (field.NotBefore is { } other ? $", not before `{other}`" : ""),
        FieldKind.Year => "four digits, as a string",
        FieldKind.Email => $"email address, at most {field.MaxLength} characters",
        FieldKind.TimeZone => $"Windows time-zone id, at most {field.MaxLength} characters",
        FieldKind.Number => string.Create(CultureInfo.InvariantCulture, $"number from {field.Minimum} to {field.Maximum:0}"),
        FieldKind.Boolean => "`true` or `false`",
        FieldKind.List => $"array of at most {field.MaxItems} items",
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };
}
