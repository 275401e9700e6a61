// The include graph of autograd/ has no cycle.
//
// A module is a header and its .cpp (autograd/ops_reduce.h + autograd/ops_reduce.cpp);
// module A depends on module B when either file of A includes B's header. Ops that
// need each other's functions (the broadcast backward needs sum_to, sum's backward needs
// expand, …) must sit in one module or below one another; this test keeps it that way,
// so each file can be read knowing only the files under it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Graph = std::map<std::string, std::set<std::string>>;

// "autograd/ops_reduce.cpp" -> "autograd/ops_reduce"
std::string module_of(const std::string& path) { return fs::path(path).replace_extension().generic_string(); }

// Every module under `folder` (relative to `root`) and the modules of `folder` it includes.
Graph include_graph(const fs::path& root, const std::string& folder) {
    Graph graph;
    const std::regex include_line("^\\s*#\\s*include\\s*\"(" + folder + "/[^\"]+)\"");
    for (const auto& entry : fs::recursive_directory_iterator(root / folder)) {
        const std::string ext = entry.path().extension().string();
        if (ext != ".h" && ext != ".cpp") continue;
        const std::string from = module_of(fs::relative(entry.path(), root).generic_string());
        graph[from];
        std::ifstream in(entry.path());
        std::smatch match;
        for (std::string line; std::getline(in, line);)
            if (std::regex_search(line, match, include_line) && module_of(match[1]) != from)
                graph[from].insert(module_of(match[1]));
    }
    return graph;
}

// One cycle of `graph` as "a -> b -> a", or "" when it has none (depth-first search).
std::string find_cycle(const Graph& graph) {
    std::map<std::string, int> state; // 0 unvisited, 1 on the current path, 2 done
    std::vector<std::string> path;
    std::string cycle;
    auto visit = [&](auto&& self, const std::string& node) -> bool {
        state[node] = 1;
        path.push_back(node);
        if (auto it = graph.find(node); it != graph.end())
            for (const std::string& next : it->second) {
                if (state[next] == 1) {
                    auto start = std::find(path.begin(), path.end(), next);
                    for (auto p = start; p != path.end(); ++p) cycle += *p + " -> ";
                    cycle += next;
                    return true;
                }
                if (state[next] == 0 && self(self, next)) return true;
            }
        path.pop_back();
        state[node] = 2;
        return false;
    };
    for (const auto& [node, _] : graph)
        if (state[node] == 0 && visit(visit, node)) return cycle;
    return "";
}

}  // namespace

TEST_CASE("the cycle finder finds a cycle and passes a tree", "[include_graph]") {
    CHECK(find_cycle({{"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}}) == "a -> b -> c -> a");
    CHECK(find_cycle({{"a", {"b", "c"}}, {"b", {"c"}}, {"c", {}}}).empty());
}

TEST_CASE("the modules of autograd/ include each other without a cycle", "[include_graph]") {
    const Graph graph = include_graph(HD_SOURCE_DIR, "autograd");
    REQUIRE(graph.count("autograd/ops_reduce") == 1); // the sources were found
    REQUIRE(graph.at("autograd/ops_elementwise").count("autograd/ops_reduce") == 1); // and their includes read
    INFO("include cycle: " << find_cycle(graph));
    CHECK(find_cycle(graph).empty());
}

TEST_CASE("inside autograd/ only users' code includes ops.h: each file includes the ops it uses", "[include_graph]") {
    for (const auto& [module, includes] : include_graph(HD_SOURCE_DIR, "autograd")) {
        CAPTURE(module);
        CHECK(includes.count("autograd/ops") == 0);
    }
}
