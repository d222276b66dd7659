//! Distribution files (`rospkg.distro`, rosdistro REP 143): being written.
