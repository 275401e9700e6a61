// catch_report.cpp — a small reader for Catch2's XML report (the tags it writes, no DTD).
#include "grader/catch_report.h"

#include <cstdlib>

namespace hd::grade {

namespace {

/// Undoes XML escaping (&lt; &gt; &amp; &quot; &apos; and numeric references; non-ASCII as '?').
std::string unescape(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        const size_t end = text[i] == '&' ? text.find(';', i) : std::string::npos;
        if (end == std::string::npos) {
            out += text[i];
            continue;
        }
        const std::string entity = text.substr(i + 1, end - i - 1);
        if (entity == "lt") out += '<';
        else if (entity == "gt") out += '>';
        else if (entity == "amp") out += '&';
        else if (entity == "quot") out += '"';
        else if (entity == "apos") out += '\'';
        else if (entity.size() > 1 && entity[0] == '#') {
            const bool hex = entity[1] == 'x' || entity[1] == 'X';
            const long code = std::strtol(entity.c_str() + (hex ? 2 : 1), nullptr, hex ? 16 : 10);
            out += code > 0 && code < 0x80 ? static_cast<char>(code) : '?';
        } else
            out += text.substr(i, end - i + 1);
        i = end;
    }
    return out;
}

/// The value of attribute `name` in a start tag ("" if absent).
std::string attribute(const std::string& tag, const std::string& name) {
    const std::string key = " " + name + "=\"";
    const size_t at = tag.find(key);
    if (at == std::string::npos) return "";
    const size_t begin = at + key.size(), end = tag.find('"', begin);
    return unescape(tag.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
}

/// Trims each line and drops empty ones.
std::string tidy(const std::string& text) {
    std::string out;
    size_t begin = 0;
    while (begin <= text.size()) {
        size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(begin, end - begin);
        const size_t first = line.find_first_not_of(" \t\r"), last = line.find_last_not_of(" \t\r");
        if (first != std::string::npos) out += (out.empty() ? "" : "\n") + line.substr(first, last - first + 1);
        begin = end + 1;
    }
    return out;
}

/// One XML element boundary: its name, whether it closes, the tag text and the text after it.
struct Tag {
    std::string name, source, text;
    bool closing = false;
};

/// Walks the report one tag at a time, keeping what the current test case has said so far.
class ReportReader {
public:
    std::vector<CaseReport> cases;

    void on(const Tag& tag) {
        if (tag.name == "TestCase") {
            if (!tag.closing) cases.push_back({attribute(tag.source, "name"), false, false, {}});
            current_ = tag.closing ? nullptr : &cases.back();
            context_.clear();
            return;
        }
        if (!current_) return;
        if (tag.name == "Section" && !tag.closing) context_ = "[" + attribute(tag.source, "name") + "]";
        else if (tag.name == "Info" && !tag.closing) context_ += (context_.empty() ? "" : "\n") + tag.text;
        else if (tag.name == "Failure" && !tag.closing) add(Failure::Kind::message, tag.text);
        else if (tag.name == "Exception" && !tag.closing) add(Failure::Kind::exception, tag.text);
        else if (tag.name == "FatalErrorCondition" && !tag.closing) add(Failure::Kind::fatal, tag.text);
        else if (tag.name == "Expression") on_expression(tag);
        else if (tag.name == "Original" && !tag.closing && in_failed_expression_) original_ = tag.text;
        else if (tag.name == "Expanded" && !tag.closing && in_failed_expression_) expanded_ = tag.text;
        else if (tag.name == "OverallResult" && !tag.closing) {
            current_->finished = true;
            current_->passed = attribute(tag.source, "success") == "true";
        }
    }

private:
    CaseReport* current_ = nullptr;
    std::string context_, macro_, original_, expanded_;
    bool in_failed_expression_ = false;

    void add(Failure::Kind kind, const std::string& text) { current_->failures.push_back({kind, text, context_}); }

    void on_expression(const Tag& tag) {
        if (!tag.closing) {
            in_failed_expression_ = attribute(tag.source, "success") == "false";
            macro_ = attribute(tag.source, "type");
            original_.clear();
            expanded_.clear();
        } else if (in_failed_expression_) {
            add(Failure::Kind::expression, macro_ + "( " + original_ + " ) failed, with " + expanded_);
            in_failed_expression_ = false;
        }
    }
};

}  // namespace

std::vector<CaseReport> parse_catch_xml(const std::string& xml) {
    ReportReader reader;
    size_t pos = 0;
    while ((pos = xml.find('<', pos)) != std::string::npos) {
        const size_t close = xml.find('>', pos);
        if (close == std::string::npos) break; // cut off inside a tag
        Tag tag;
        tag.source = xml.substr(pos, close - pos + 1);
        tag.closing = tag.source.size() > 1 && tag.source[1] == '/';
        const size_t name_begin = tag.closing ? 2 : 1;
        tag.name = tag.source.substr(name_begin, tag.source.find_first_of(" />", name_begin) - name_begin);
        const size_t next = xml.find('<', close);
        tag.text = tidy(unescape(xml.substr(close + 1, next == std::string::npos ? std::string::npos : next - close - 1)));
        reader.on(tag);
        pos = close + 1;
    }
    return reader.cases;
}

std::string one_line(const Failure& failure, size_t width) {
    std::string line = failure.text.substr(0, failure.text.find('\n'));
    if (failure.kind == Failure::Kind::exception) line = "unexpected exception: " + line;
    if (failure.kind == Failure::Kind::fatal) line = "fatal error: " + line;
    if (line.empty()) line = "(a failure without a message)";
    return line.size() > width ? line.substr(0, width - 3) + "..." : line;
}

std::string describe(const Failure& failure) {
    std::string text = failure.context.empty() ? "" : failure.context + "\n";
    if (failure.kind == Failure::Kind::exception) text += "unexpected exception: ";
    if (failure.kind == Failure::Kind::fatal) text += "fatal error: ";
    return text + failure.text;
}

}  // namespace hd::grade
