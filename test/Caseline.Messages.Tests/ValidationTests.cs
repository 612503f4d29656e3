using System.Text.Json;
using System.Text.Json.Nodes;
using Caseline.Messages.Json;
using Caseline.Messages.Validation;

namespace Caseline.Messages.Tests;

public sealed class ValidationTests
{
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static readonly TimeProvider Today = new FixedClock(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The sample of <paramref name="section"/> with one field set through JSON, as a Sync body would set it.</summary>
    private static SectionDetails With(Section section, string field, JsonNode? value, params string[] cleared)
    {
        var sample = Samples.OnePerSection.Single(s => s.Section == section);
        var details = JsonNode.Parse(MessageWriter.ToUtf8Bytes(Samples.Message(sample)))!["Details"]!.AsObject();
        foreach (var other in cleared)
        {
            details[other] = null;
        }

        details[field] = value;
        using var document = JsonDocument.Parse(details.ToJsonString());
        return MessageReader.ReadDetails(document.RootElement, section);
    }

    private static IReadOnlyDictionary<string, string[]> Errors(SectionDetails details) => MessageValidator.Validate(details, Today);

    private static void AssertOnly(IReadOnlyDictionary<string, string[]> errors, string key, string message)
    {
        var error = Assert.Single(errors);
        Assert.Equal(key, error.Key);
        Assert.Equal([message], error.Value);
    }

    private static void AssertValidity(IReadOnlyDictionary<string, string[]> errors, bool valid, string field)
    {
        if (valid)
        {
            Assert.Empty(errors);
        }
        else
        {
            AssertOnly(errors, field, $"{field} is invalid");
        }
    }

    public static TheoryData<string, string> Fields(FieldKind kind) =>
        [.. Section.All.SelectMany(s => s.Fields.Where(f => f.Kind == kind).Select(f => (s.Name, f.Name)))];

    public static TheoryData<string, string> TextFields => Fields(FieldKind.Text);

    public static TheoryData<string, string> IdentifierFields => Fields(FieldKind.Identifier);

    public static TheoryData<string, string> EnumerationFields => Fields(FieldKind.Enumeration);

    public static TheoryData<string, string> DateFields => Fields(FieldKind.Date);

    private static (Section Section, FieldSpec Field) Spec(string section, string field)
    {
        var s = Section.Find(section)!;
        return (s, s.Fields.Single(f => f.Name == field));
    }

    [Fact]
    public void Every_sample_is_valid()
    {
        foreach (var sample in Samples.OnePerSection)
        {
            Assert.Empty(Errors(sample));
        }
    }

    [Theory]
    [MemberData(nameof(TextFields))]
    public void Text_may_be_as_long_as_its_limit_and_no_longer(string sectionName, string fieldName)
    {
        var (section, field) = Spec(sectionName, fieldName);
        var max = field.MaxLength!.Value;

        Assert.Empty(Errors(With(section, fieldName, new string('a', max))));
        Assert.Empty(Errors(With(section, fieldName, string.Concat(Enumerable.Repeat("😀", max)))));
        AssertOnly(Errors(With(section, fieldName, new string('a', max + 1))), fieldName, $"{fieldName} must be at most {max} characters long");
    }

    [Theory]
    [MemberData(nameof(TextFields))]
    public void Text_refuses_control_characters_and_angle_brackets(string sectionName, string fieldName)
    {
        var (section, field) = Spec(sectionName, fieldName);
        var expected = $"{fieldName} contains some characters which are not allowed";

        foreach (var bad in new[] { "a<b", "a>b", "<script>", "line\nbreak", "tab\there", "bell\u0007", "nul\0", "rtl\u202Eoverride", "para\u2029sep", "private\uE000use", "zero\u200Bwidth" })
        {
            AssertOnly(Errors(With(section, fieldName, bad)), fieldName, expected);
        }

        foreach (var good in new[] { "José Nguyễn-O'Brien", "李小龙", "محمد\u200Cعلی", "Ελένη", "👨‍👩‍👧", "#1, 50% & \"quoted\" (a/b) $5 + €3", "Straße\u00A0Nr. 7" }.Where(g => Rules.CodePoints(g) <= field.MaxLength))
        {
            Assert.Empty(Errors(With(section, fieldName, good)));
        }
    }

    [Fact]
    public void Text_refuses_a_lone_surrogate_which_json_cannot_carry_faithfully()
    {
        AssertOnly(Errors(Samples.Address with { Address = "lone\uD800surrogate" }), "Address", "Address contains some characters which are not allowed");
        AssertOnly(Errors(Samples.Address with { Address = "swapped\uDE00\uD83D" }), "Address", "Address contains some characters which are not allowed");
    }

    [Theory]
    [MemberData(nameof(TextFields))]
    public void Required_text_must_be_present_and_not_blank(string sectionName, string fieldName)
    {
        var (section, field) = Spec(sectionName, fieldName);

        foreach (var missing in new JsonNode?[] { null, "", "   " })
        {
            var errors = Errors(With(section, fieldName, missing));
            if (field.IsRequired)
            {
                AssertOnly(errors, fieldName, $"{fieldName} is required");
            }
            else
            {
                Assert.Empty(errors);
            }
        }
    }

    [Theory]
    [MemberData(nameof(IdentifierFields))]
    public void Item_identifiers_are_required_plain_and_at_most_64_characters(string sectionName, string fieldName)
    {
        var (section, _) = Spec(sectionName, fieldName);

        AssertOnly(Errors(With(section, fieldName, "")), fieldName, "IntegrationId is required");
        AssertOnly(Errors(With(section, fieldName, "has space")), fieldName, "IntegrationId contains some characters which are not allowed");
        AssertOnly(Errors(With(section, fieldName, "a/b")), fieldName, "IntegrationId contains some characters which are not allowed");
        AssertOnly(Errors(With(section, fieldName, "José")), fieldName, "IntegrationId contains some characters which are not allowed");
        AssertOnly(Errors(With(section, fieldName, new string('A', 65))), fieldName, "IntegrationId must be at most 64 characters long");
        Assert.Empty(Errors(With(section, fieldName, new string('A', 64))));
        Assert.Empty(Errors(With(section, fieldName, "2019-CR_0042.a:b~c")));
    }

    [Theory]
    [MemberData(nameof(EnumerationFields))]
    public void Enumerations_take_exactly_their_listed_values(string sectionName, string fieldName)
    {
        var (section, field) = Spec(sectionName, fieldName);

        foreach (var value in field.AllowedValues)
        {
            Assert.Empty(Errors(With(section, fieldName, value)));
            AssertOnly(Errors(With(section, fieldName, value.ToUpperInvariant())), fieldName, $"{fieldName} is invalid");
        }

        AssertOnly(Errors(With(section, fieldName, "Elsewhere")), fieldName, $"{fieldName} is invalid");
        var missing = Errors(With(section, fieldName, null));
        if (field.IsRequired)
        {
            AssertOnly(missing, fieldName, $"{fieldName} is required");
        }
        else
        {
            Assert.Empty(missing);
        }
    }

    [Theory]
    [MemberData(nameof(DateFields))]
    public void Dates_lie_between_1900_and_2199(string sectionName, string fieldName)
    {
        var (section, field) = Spec(sectionName, fieldName);
        string[] otherDates = [.. section.Fields.Where(f => f.Kind == FieldKind.Date && f.Name != fieldName).Select(f => f.Name)];

        Assert.Empty(Errors(With(section, fieldName, "1900-01-01", otherDates)));
        if (!field.NotInFuture)
        {
            Assert.Empty(Errors(With(section, fieldName, "2199-12-31", otherDates)));
        }

        Assert.Empty(Errors(With(section, fieldName, null, otherDates)));
        AssertOnly(Errors(With(section, fieldName, "1899-12-31", otherDates)), fieldName, $"{fieldName} is invalid");
        AssertOnly(Errors(With(section, fieldName, "2200-01-01", otherDates)), fieldName, $"{fieldName} is invalid");
    }

    [Fact]
    public void A_date_of_birth_may_be_today_anywhere_on_earth_but_not_later()
    {
        Assert.Empty(Errors(Samples.Personal with { DateOfBirth = new DateOnly(2026, 11, 29) }));
        AssertOnly(Errors(Samples.Personal with { DateOfBirth = new DateOnly(2026, 11, 30) }), "DateOfBirth", "DateOfBirth is invalid");
    }

    [Fact]
    public void A_protective_order_may_not_expire_before_it_takes_effect()
    {
        var order = Samples.ProtectiveOrder with { EffectiveDate = new DateOnly(2020, 5, 1) };

        Assert.Empty(Errors(order with { ExpirationDate = new DateOnly(2020, 5, 1) }));
        Assert.Empty(Errors(order with { EffectiveDate = null, ExpirationDate = new DateOnly(2020, 4, 30) }));
        AssertOnly(Errors(order with { ExpirationDate = new DateOnly(2020, 4, 30) }), "ExpirationDate", "ExpirationDate is invalid");
    }

    [Theory]
    [InlineData("2016", true)]
    [InlineData("1908", true)]
    [InlineData("16", false)]
    [InlineData("20a6", false)]
    [InlineData("02016", false)]
    [InlineData("２０１６", false)]
    public void A_vehicle_year_is_four_ascii_digits(string year, bool valid)
    {
        var errors = Errors(Samples.Vehicle with { Year = year });

        AssertValidity(errors, valid, "Year");
    }

    [Theory]
    [InlineData("a@b.co", true)]
    [InlineData("first.last+tag@sub.example.org", true)]
    [InlineData("not-an-email", false)]
    [InlineData("a@localhost", false)]
    [InlineData("a b@c.co", false)]
    [InlineData("Ann <ann@c.co>", false)]
    [InlineData("a@@c.co", false)]
    [InlineData("a@c.co.", false)]
    public void An_email_must_be_a_plain_address(string email, bool valid)
    {
        var errors = Errors(new EmailDetails(email));

        AssertValidity(errors, valid, "Email");
    }

    [Fact]
    public void An_email_may_be_at_most_254_characters_or_absent()
    {
        var longest = new string('a', 64) + "@" + new string('b', 185) + ".org";
        Assert.Equal(254, longest.Length);

        Assert.Empty(Errors(new EmailDetails(longest)));
        Assert.Empty(Errors(new EmailDetails(null)));
        AssertOnly(Errors(new EmailDetails("a" + longest)), "Email", "Email must be at most 254 characters long");
    }

    [Theory]
    [InlineData("Mountain Standard Time", true)]
    [InlineData("UTC", true)]
    [InlineData("W. Europe Standard Time", true)]
    [InlineData("America/Denver", false)]
    [InlineData("Mars Standard Time", false)]
    [InlineData("", false)]
    public void A_time_zone_is_a_windows_id_on_the_wire(string timeZone, bool valid)
    {
        var errors = Errors(Samples.Personal with { TimeZone = timeZone });

        AssertValidity(errors, valid, "TimeZone");
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData("1000000000", true)]
    [InlineData("-0.01", false)]
    [InlineData("1000000000.01", false)]
    public void A_wage_lies_between_zero_and_a_billion(string wage, bool valid)
    {
        var errors = Errors(Samples.Employment with { Wage = decimal.Parse(wage, System.Globalization.CultureInfo.InvariantCulture) });

        AssertValidity(errors, valid, "Wage");
    }

    [Fact]
    public void Offenses_are_checked_one_by_one_and_at_most_100_are_accepted()
    {
        var offense = Samples.Case.Offenses[0];

        AssertOnly(Errors(Samples.Case with { Offenses = [offense, offense with { Label = null }] }), "Offenses[1].Label", "Label is required");
        AssertOnly(Errors(Samples.Case with { Offenses = [offense with { Date = new DateOnly(1800, 1, 1) }] }), "Offenses[0].Date", "Date is invalid");
        AssertOnly(Errors(Samples.Case with { Offenses = [offense with { Statute = "<b>" }] }), "Offenses[0].Statute", "Statute contains some characters which are not allowed");
        Assert.Empty(Errors(Samples.Case with { Offenses = ValueList.From(Enumerable.Repeat(offense, 100)) }));
        AssertOnly(Errors(Samples.Case with { Offenses = ValueList.From(Enumerable.Repeat(offense, 101)) }), "Offenses", "Offenses is invalid");
    }

    [Fact]
    public void One_request_reports_every_offending_field_at_once()
    {
        var errors = Errors(new AddressDetails("a b", "Home ", new string('x', 501)));

        Assert.Equal(["Address", "AddressType", "IntegrationId"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["Address must be at most 500 characters long"], errors["Address"]);
    }

    [Fact]
    public void The_envelope_is_checked_with_paths_to_each_field()
    {
        var valid = Samples.Message(Samples.Address);
        Assert.Empty(MessageValidator.Validate(valid, Today));

        AssertOnly(MessageValidator.Validate(valid with { Client = new ClientReference("") }, Today), "Client.IntegrationId", "IntegrationId is required");
        AssertOnly(MessageValidator.Validate(valid with { Client = new ClientReference("EX 1") }, Today), "Client.IntegrationId", "IntegrationId contains some characters which are not allowed");
        AssertOnly(MessageValidator.Validate(valid with { Client = new ClientReference(new string('x', 65)) }, Today), "Client.IntegrationId", "IntegrationId must be at most 64 characters long");
        AssertOnly(MessageValidator.Validate(valid with { Activity = valid.Activity with { Identifier = Guid.Empty } }, Today), "Activity.Identifier", "Identifier is invalid");
        AssertOnly(MessageValidator.Validate(valid with { Activity = valid.Activity with { Type = "ClientAlert" } }, Today), "Activity.Type", "Type is invalid");
        AssertOnly(MessageValidator.Validate(valid with { Action = valid.Action with { Reason = "" } }, Today), "Action.Reason", "Reason is required");
        AssertOnly(MessageValidator.Validate(valid with { Action = valid.Action with { Reason = "Contact Details Updated" } }, Today), "Action.Reason", "Reason is invalid");
        AssertOnly(MessageValidator.Validate(valid with { Action = valid.Action with { Reason = "Address Details Changed" } }, Today), "Action.Reason", "Reason is invalid");
        AssertOnly(MessageValidator.Validate(valid with { Action = valid.Action with { UpdatedBy = "" } }, Today), "Action.UpdatedBy", "UpdatedBy is required");
        AssertOnly(MessageValidator.Validate(valid with { Action = valid.Action with { UpdatedBy = new string('u', 255) } }, Today), "Action.UpdatedBy", "UpdatedBy must be at most 254 characters long");
        AssertOnly(MessageValidator.Validate(valid with { Details = Samples.Address with { Address = null } }, Today), "Details.Address", "Address is required");
    }

    [Fact]
    public void Error_messages_never_quote_the_value()
    {
        var errors = Errors(new PersonalDetails("Secret<Name>", new string('Z', 101), new DateOnly(2100, 1, 1), "Nowhere", null, null, null, null));

        Assert.Equal(4, errors.Count);
        Assert.DoesNotContain(errors.Values.SelectMany(m => m), m => m.Contains("Secret", StringComparison.Ordinal) || m.Contains("ZZ", StringComparison.Ordinal) || m.Contains("Nowhere", StringComparison.Ordinal));
    }
}
