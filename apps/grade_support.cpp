// grade_support.cpp — child processes with a time limit, and Catch2's XML report.
#include "apps/grade_support.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace hd::grade {

std::string ProcessResult::describe(double timeout_seconds) const {
    if (timed_out) return fmt::format("timed out after {:.0f} s (an endless loop?)", timeout_seconds);
    if (signal != 0) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
    return fmt::format("exit code {}", exit_code);
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& log_path, double timeout_seconds,
                          const std::string& working_dir) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(fmt::format("grade: fork failed: {}", std::strerror(errno)));
    if (pid == 0) {
        // Child: own process group (so a timeout kills everything it started), output to the log.
        setpgid(0, 0);
        const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        if (!working_dir.empty() && chdir(working_dir.c_str()) != 0) _exit(126);
        execvp(args[0], args.data());
        _exit(127);
    }
    setpgid(pid, pid); // also from the parent: whichever runs first wins the race

    ProcessResult result;
    int status = 0;
    for (;;) {
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) break;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (elapsed > timeout_seconds) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            result.timed_out = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(-pid, SIGKILL); // anything the child left running in its group
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!result.timed_out) {
        if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    }
    return result;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

namespace {

/// Undoes Catch2's XML escaping (&lt; &gt; &amp; &quot; &apos; and &#x..; / &#..;).
std::string unescape(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out += text[i];
            continue;
        }
        const size_t end = text.find(';', i);
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
        else if (!entity.empty() && entity[0] == '#') {
            const long code = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X')
                                  ? std::strtol(entity.c_str() + 2, nullptr, 16)
                                  : std::strtol(entity.c_str() + 1, nullptr, 10);
            out += code < 0x80 ? static_cast<char>(code) : '?';
        } else
            out += text.substr(i, end - i + 1);
        i = end;
    }
    return out;
}

/// The value of attribute `name` inside a tag's text ("" if absent).
std::string attribute(const std::string& tag, const std::string& name) {
    const std::string key = " " + name + "=\"";
    const size_t at = tag.find(key);
    if (at == std::string::npos) return "";
    const size_t begin = at + key.size(), end = tag.find('"', begin);
    return unescape(tag.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
}

/// Trims each line and drops empty ones.
std::string tidy(const std::string& text) {
    std::istringstream in(text);
    std::string line, out;
    while (std::getline(in, line)) {
        const size_t first = line.find_first_not_of(" \t\r"), last = line.find_last_not_of(" \t\r");
        if (first == std::string::npos) continue;
        out += (out.empty() ? "" : "\n") + line.substr(first, last - first + 1);
    }
    return out;
}

}  // namespace

std::vector<CatchCase> parse_catch_xml(const std::string& xml) {
    std::vector<CatchCase> cases;
    CatchCase* current = nullptr;
    std::string pending_infos, expression_original, expression_expanded;
    bool in_failed_expression = false;

    size_t pos = 0;
    while ((pos = xml.find('<', pos)) != std::string::npos) {
        const size_t close = xml.find('>', pos);
        if (close == std::string::npos) break; // cut off mid-tag by a crash
        const std::string tag = xml.substr(pos, close - pos + 1);
        const bool closing = tag.size() > 1 && tag[1] == '/';
        const size_t name_begin = closing ? 2 : 1;
        const std::string name = tag.substr(name_begin, tag.find_first_of(" />", name_begin) - name_begin);
        // The text up to the next tag (what Info, Failure, Exception, … hold).
        const size_t next = xml.find('<', close);
        const std::string text = tidy(unescape(xml.substr(close + 1, next == std::string::npos ? std::string::npos
                                                                                               : next - close - 1)));
        pos = close + 1;

        auto add = [&](const std::string& line) {
            if (current && !line.empty()) current->message += (current->message.empty() ? "" : "\n") + line;
        };
        if (name == "TestCase" && !closing) {
            cases.push_back({attribute(tag, "name"), false, false, ""});
            current = &cases.back();
            pending_infos.clear();
        } else if (name == "TestCase" && closing) {
            current = nullptr;
        } else if (!current) {
            continue;
        } else if (name == "Section" && !closing) {
            pending_infos = "[" + attribute(tag, "name") + "]";
        } else if (name == "Info" && !closing) {
            pending_infos += (pending_infos.empty() ? "" : "\n") + text;
        } else if ((name == "Failure" || name == "Exception" || name == "FatalErrorCondition") && !closing) {
            add(pending_infos);
            pending_infos.clear();
            const std::string where = name == "Exception" ? "unexpected exception: " : name == "FatalErrorCondition" ? "fatal error: " : "";
            add(where + text);
        } else if (name == "Expression" && !closing) {
            in_failed_expression = attribute(tag, "success") == "false";
            expression_original.clear();
            expression_expanded.clear();
            if (in_failed_expression) expression_original = attribute(tag, "type");
        } else if (name == "Original" && !closing && in_failed_expression) {
            expression_original += "( " + text + " )";
        } else if (name == "Expanded" && !closing && in_failed_expression) {
            expression_expanded = text;
        } else if (name == "Expression" && closing) {
            if (in_failed_expression) {
                add(pending_infos);
                pending_infos.clear();
                add(expression_original + " failed, with " + expression_expanded);
            }
            in_failed_expression = false;
        } else if (name == "OverallResult" && !closing) {
            current->finished = true;
            current->passed = attribute(tag, "success") == "true";
        }
    }
    return cases;
}

}  // namespace hd::grade
