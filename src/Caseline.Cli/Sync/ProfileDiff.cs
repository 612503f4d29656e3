using System.Text.Json;
using Caseline.Messages;
using Caseline.Messages.Json;

namespace Caseline.Cli.Sync;

/// <summary>One section or item a full sync would change, and which of its fields.</summary>
internal sealed record SectionChange(string ClientId, string SubType, string? ItemId, ChangeVerb Verb, IReadOnlyList<string> Fields);

/// <summary>
/// What a bulk full sync of one profile would do to the stored one, worked out as the server does it: every
/// section and item given is put (a client's own section with no value removes it), every stored item not
/// given is removed, and a section changes only when its normalised bytes differ.
/// </summary>
internal static class ProfileDiff
{
    public static List<SectionChange> Compare(ClientProfile? stored, ProfileInput wanted)
    {
        var clientId = wanted.IntegrationId!;
        var before = (stored?.Sections ?? []).ToDictionary(Key, s => s);
        var given = new HashSet<(Section, string)>();
        var changes = new List<SectionChange>();
        foreach (var section in wanted.Sections.Concat(wanted.Items ?? []))
        {
            var key = Key(section);
            given.Add(key);
            before.TryGetValue(key, out var old);
            if (section.IsEmpty && section is not ItemDetails)
            {
                if (old is not null)
                {
                    changes.Add(Change(clientId, old, ChangeVerb.Removed, []));
                }

                continue;
            }

            if (old is null)
            {
                changes.Add(Change(clientId, section, ChangeVerb.Created, []));
            }
            else if (ChangedFields(old, section) is { Count: > 0 } fields)
            {
                changes.Add(Change(clientId, section, ChangeVerb.Updated, fields));
            }
        }

        changes.AddRange(before.Where(s => !given.Contains(s.Key)).Select(s => Change(clientId, s.Value, ChangeVerb.Removed, [])));
        return changes;
    }

    private static (Section, string) Key(SectionDetails details) => (details.Section, (details as ItemDetails)?.IntegrationId ?? "");

    private static SectionChange Change(string clientId, SectionDetails details, ChangeVerb verb, IReadOnlyList<string> fields) =>
        new(clientId, details.SubType, (details as ItemDetails)?.IntegrationId, verb, fields);

    /// <summary>The fields whose written values differ; empty when the two write the same bytes.</summary>
    private static List<string> ChangedFields(SectionDetails old, SectionDetails wanted)
    {
        var oldBytes = MessageWriter.DetailsToUtf8Bytes(old);
        var newBytes = MessageWriter.DetailsToUtf8Bytes(wanted);
        if (oldBytes.AsSpan().SequenceEqual(newBytes))
        {
            return [];
        }

        using var oldJson = JsonDocument.Parse(oldBytes);
        using var newJson = JsonDocument.Parse(newBytes);
        var oldFields = oldJson.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);
        return [.. newJson.RootElement.EnumerateObject().Where(p => oldFields.GetValueOrDefault(p.Name) != p.Value.GetRawText()).Select(p => p.Name)];
    }
}
